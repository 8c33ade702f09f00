//! The glue between egui and `floe-render`: GPU objects living in egui-wgpu's callback resources, and the
//! paint callbacks that draw the point layers on the map (aligned with walkers' projection) and in the profile.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Microseconds Floe's paint callbacks (prepare and paint) spent since the last [`take_callback_ms`]: with the UI's
/// own time, what the status bar reports as Floe's part of a frame, apart from the rasteriser's.
static CALLBACK_MICROS: AtomicU64 = AtomicU64::new(0);

/// Milliseconds Floe's paint callbacks spent since the last call.
pub fn take_callback_ms() -> f64 {
    CALLBACK_MICROS.swap(0, Ordering::Relaxed) as f64 / 1000.0
}

/// Adds the time since `started_ms` to [`CALLBACK_MICROS`].
fn count_since(started_ms: f64) {
    let micros = ((crate::platform::thread_cpu_ms() - started_ms) * 1000.0).max(0.0) as u64;
    CALLBACK_MICROS.fetch_add(micros, Ordering::Relaxed);
}

use egui_wgpu::{CallbackResources, CallbackTrait, ScreenDescriptor};
use floe_render::{Camera, GpuLayer, GpuLines, ProfileCamera, Projection, ScatterRenderer, wgpu};

/// Long-lived GPU state, stored once in `callback_resources`.
pub struct FloeGpu {
    pub renderer: ScatterRenderer,
    /// The map's layers by layer id, and the profile's brushed points by [`selection_id`].
    pub layers: HashMap<u64, GpuLayer>,
    /// The profile has its own renderer: each renderer holds one frame's draw list, and both views draw each frame.
    pub profile_renderer: ScatterRenderer,
    /// One layer's points on the profile's track, in `profile` space, by layer id.
    pub profile_layers: HashMap<u64, GpuLayer>,
    /// The basemap lines of each projection: the graticule (polar views only), then the coastline.
    pub basemap: HashMap<Projection, Vec<GpuLines>>,
}

impl FloeGpu {
    pub fn install(render_state: &egui_wgpu::RenderState) {
        let renderer = ScatterRenderer::new(&render_state.device, render_state.target_format);
        let profile_renderer = ScatterRenderer::new(&render_state.device, render_state.target_format);
        let device = &render_state.device;
        let basemap = Projection::ALL
            .into_iter()
            .map(|projection| {
                let mut lines = Vec::new();
                if projection != Projection::Mercator {
                    let graticule = crate::basemap::graticule_world(projection);
                    lines.push(renderer.create_lines(device, &graticule, crate::style::GRATICULE));
                }
                let coastline = crate::basemap::coastline_world(projection);
                lines.push(renderer.create_lines(device, &coastline, crate::style::COAST));
                (projection, lines)
            })
            .collect();
        render_state.renderer.write().callback_resources.insert(FloeGpu {
            renderer,
            layers: HashMap::new(),
            profile_renderer,
            profile_layers: HashMap::new(),
            basemap,
        });
    }
}

/// The key under which a layer's brushed points (drawn over the map) live in [`FloeGpu::layers`]: layer ids count
/// up from 1, these down from the top.
pub fn selection_id(layer_id: u64) -> u64 {
    u64::MAX - layer_id
}

/// One frame's draw of the profile's layers.
pub struct ProfileCallback {
    pub camera: ProfileCamera,
    /// Layers to draw, bottom first.
    pub layer_ids: Vec<u64>,
    pub points_drawn: Arc<AtomicU64>,
}

impl CallbackTrait for ProfileCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen_descriptor: &ScreenDescriptor,
        _egui_encoder: &mut wgpu::CommandEncoder,
        resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let started = crate::platform::thread_cpu_ms();
        if let Some(FloeGpu { profile_renderer, profile_layers, .. }) = resources.get_mut::<FloeGpu>() {
            let drawn: Vec<&GpuLayer> = self.layer_ids.iter().filter_map(|id| profile_layers.get(id)).collect();
            profile_renderer.prepare(device, queue, &self.camera, &[], &drawn);
            self.points_drawn.store(profile_renderer.points_in_frame(&drawn), Ordering::Relaxed);
        }
        count_since(started);
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        let started = crate::platform::thread_cpu_ms();
        if let Some(gpu) = resources.get::<FloeGpu>() {
            let drawn: Vec<&GpuLayer> = self.layer_ids.iter().filter_map(|id| gpu.profile_layers.get(id)).collect();
            gpu.profile_renderer.paint(pass, &[], &drawn);
        }
        count_since(started);
    }
}

/// One frame's draw of the map's point layers.
pub struct MapCallback {
    pub camera: Camera,
    /// The plane `camera` looks at: which basemap lines to draw.
    pub projection: Projection,
    /// Layers to draw, bottom first.
    pub layer_ids: Vec<u64>,
    pub coastline: bool,
    /// Where the number of points drawn is reported for the status bar.
    pub points_drawn: Arc<AtomicU64>,
}

impl CallbackTrait for MapCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen_descriptor: &ScreenDescriptor,
        _egui_encoder: &mut wgpu::CommandEncoder,
        resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let started = crate::platform::thread_cpu_ms();
        if let Some(FloeGpu { renderer, layers, basemap, .. }) = resources.get_mut::<FloeGpu>() {
            let drawn: Vec<&GpuLayer> = self.layer_ids.iter().filter_map(|id| layers.get(id)).collect();
            let lines = self.lines(basemap);
            renderer.prepare(device, queue, &self.camera, &lines, &drawn);
            self.points_drawn.store(renderer.points_in_frame(&drawn), Ordering::Relaxed);
        }
        count_since(started);
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        let started = crate::platform::thread_cpu_ms();
        if let Some(gpu) = resources.get::<FloeGpu>() {
            let drawn: Vec<&GpuLayer> = self.layer_ids.iter().filter_map(|id| gpu.layers.get(id)).collect();
            gpu.renderer.paint(pass, &self.lines(&gpu.basemap), &drawn);
        }
        count_since(started);
    }
}

impl MapCallback {
    fn lines<'a>(&self, basemap: &'a HashMap<Projection, Vec<GpuLines>>) -> Vec<&'a GpuLines> {
        match basemap.get(&self.projection) {
            Some(lines) if self.coastline => lines.iter().collect(),
            _ => Vec::new(),
        }
    }
}

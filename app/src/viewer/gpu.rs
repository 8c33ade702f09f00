//! The glue between egui and `floe-render`: GPU objects living in egui-wgpu's callback resources, and the
//! paint callback that draws the point layers aligned with walkers' projection.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use egui_wgpu::{CallbackResources, CallbackTrait, ScreenDescriptor};
use floe_render::{Camera, GpuLayer, GpuLines, Projection, ScatterRenderer, wgpu};

/// Long-lived GPU state, stored once in `callback_resources`.
pub struct FloeGpu {
    pub renderer: ScatterRenderer,
    pub layers: HashMap<u64, GpuLayer>,
    /// The basemap lines of each projection: the graticule (polar views only), then the coastline.
    pub basemap: HashMap<Projection, Vec<GpuLines>>,
}

impl FloeGpu {
    pub fn install(render_state: &egui_wgpu::RenderState) {
        let renderer = ScatterRenderer::new(&render_state.device, render_state.target_format);
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
        render_state.renderer.write().callback_resources.insert(FloeGpu { renderer, layers: HashMap::new(), basemap });
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
        if let Some(FloeGpu { renderer, layers, basemap }) = resources.get_mut::<FloeGpu>() {
            let drawn: Vec<&GpuLayer> = self.layer_ids.iter().filter_map(|id| layers.get(id)).collect();
            let lines = self.lines(basemap);
            renderer.prepare(device, queue, &self.camera, &lines, &drawn);
            self.points_drawn.store(renderer.points_in_frame(&drawn), Ordering::Relaxed);
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        if let Some(gpu) = resources.get::<FloeGpu>() {
            let drawn: Vec<&GpuLayer> = self.layer_ids.iter().filter_map(|id| gpu.layers.get(id)).collect();
            gpu.renderer.paint(pass, &self.lines(&gpu.basemap), &drawn);
        }
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

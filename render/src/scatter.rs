//! The GPU scatterplot: one pipeline, per-layer style (uniform + LUT texture), per-chunk buffers.
//!
//! Positions upload once per chunk. Style and filter changes write a uniform and, for a new colormap, a
//! 256-texel texture. A new colour column writes one f32 per point. Each frame writes one f64→f32 delta per
//! visible chunk: camera moves cost O(chunks).

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use crate::camera::View;
use crate::chunks::PointChunk;
use crate::colormap::{Classes, Colormap};
use crate::filter::{FILTER_SLOTS, LayerFilters, SET_WORDS, SlotUniform};

/// Dynamic uniform offsets must be multiples of this (the WebGPU/WebGL2 maximum of the alignment limit).
const CHUNK_UNIFORM_STRIDE: u64 = 256;

/// How a layer looks. Everything here is a uniform or the LUT: changing it never touches positions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerStyle {
    pub colormap: Colormap,
    /// Values mapped to the first and last LUT entries.
    pub value_range: (f32, f32),
    /// Point diameter in physical pixels.
    pub point_size: f32,
    pub opacity: f32,
    /// Colour for null values; `None` hides them.
    pub nodata: Option<[u8; 4]>,
    pub visible: bool,
    /// A categorical table instead of `colormap` (its `value_range` goes with it).
    pub classes: Option<Classes>,
}

impl Default for LayerStyle {
    fn default() -> Self {
        Self {
            colormap: Colormap::Viridis,
            value_range: (0.0, 1.0),
            point_size: 4.0,
            opacity: 1.0,
            nodata: Some([128, 128, 128, 255]),
            visible: true,
            classes: None,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct LayerUniform {
    viewport_px: [f32; 2],
    px_per_world: [f32; 2],
    point_size: f32,
    value_min: f32,
    value_max: f32,
    opacity: f32,
    nodata_mode: u32,
    _pad: [u32; 3],
    nodata_color: [f32; 4],
    slots: [SlotUniform; FILTER_SLOTS],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ChunkUniform {
    delta_world: [f32; 2],
    _pad: [f32; 2],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct LinesUniform {
    viewport_px: [f32; 2],
    px_per_world: [f32; 2],
    color: [f32; 4],
}

struct GpuChunk {
    origin_world: [f64; 2],
    min_world: [f64; 2],
    max_world: [f64; 2],
    count: u32,
    positions: wgpu::Buffer,
    values: wgpu::Buffer,
    /// One f32 per point for each filter slot that has been given values.
    filter_values: [Option<wgpu::Buffer>; FILTER_SLOTS],
    visible: bool,
}

/// Bytes written to the GPU for a layer, by kind: tests use them to prove what a change re-uploads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UploadStats {
    pub position_bytes: u64,
    pub value_bytes: u64,
    pub lut_uploads: u64,
    /// Filter attributes (one f32 per point per filtered column, written once per column).
    pub filter_bytes: u64,
    /// Set-texture rows written (a filter's set of codes changed).
    pub set_uploads: u64,
}

/// One point layer on the GPU.
pub struct GpuLayer {
    chunks: Vec<GpuChunk>,
    uniform: wgpu::Buffer,
    lut: wgpu::Texture,
    bind_group: wgpu::BindGroup,
    style: LayerStyle,
    sets: wgpu::Texture,
    filters: LayerFilters,
    /// What the LUT texture holds.
    lut_colormap: Option<(Colormap, Option<Classes>)>,
    pub uploads: UploadStats,
}

impl GpuLayer {
    pub fn style(&self) -> &LayerStyle {
        &self.style
    }

    pub fn num_points(&self) -> u64 {
        self.chunks.iter().map(|c| u64::from(c.count)).sum()
    }

    pub fn num_chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Uploads a chunk's positions and values (NaN = null). `values.len()` must equal the chunk's length.
    pub fn push_chunk(&mut self, device: &wgpu::Device, chunk: &PointChunk, values: &[f32]) {
        if chunk.is_empty() {
            return;
        }
        let positions = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("floe chunk positions"),
            contents: bytemuck::cast_slice(&chunk.offsets),
            usage: wgpu::BufferUsages::VERTEX,
        });
        let padded;
        let values = if values.len() == chunk.len() {
            values
        } else {
            padded = vec![f32::NAN; chunk.len()];
            &padded
        };
        let value_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("floe chunk values"),
            contents: bytemuck::cast_slice(values),
            usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
        });
        self.uploads.position_bytes += (chunk.offsets.len() * 8) as u64;
        self.uploads.value_bytes += (values.len() * 4) as u64;
        self.chunks.push(GpuChunk {
            origin_world: chunk.origin_world,
            min_world: chunk.min_world,
            max_world: chunk.max_world,
            count: chunk.len() as u32,
            positions,
            values: value_buffer,
            filter_values: Default::default(),
            visible: true,
        });
    }

    /// Replaces the values of chunk `index` (colour by another column). Ignores a length mismatch.
    pub fn set_chunk_values(&mut self, queue: &wgpu::Queue, index: usize, values: &[f32]) {
        if let Some(chunk) = self.chunks.get(index).filter(|c| c.count as usize == values.len()) {
            queue.write_buffer(&chunk.values, 0, bytemuck::cast_slice(values));
            self.uploads.value_bytes += (values.len() * 4) as u64;
        }
    }

    /// Gives filter slot `slot` of chunk `index` its values (one f32 per point, NaN = null). The buffer is made
    /// once and written again when the slot is given another column. Ignores a length mismatch.
    pub fn set_chunk_filter_values(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        index: usize,
        slot: usize,
        values: &[f32],
    ) {
        let Some(chunk) = self.chunks.get_mut(index).filter(|c| c.count as usize == values.len()) else { return };
        let Some(buffer) = chunk.filter_values.get_mut(slot) else { return };
        match buffer {
            Some(buffer) => queue.write_buffer(buffer, 0, bytemuck::cast_slice(values)),
            None => {
                *buffer = Some(device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("floe chunk filter values"),
                    contents: bytemuck::cast_slice(values),
                    usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                }))
            }
        }
        self.uploads.filter_bytes += (values.len() * 4) as u64;
    }

    pub fn filters(&self) -> &LayerFilters {
        &self.filters
    }

    /// Sets what each slot tests: uniforms (written with the next frame), plus the set texture's row of each slot
    /// whose set of codes changed. Points are not touched.
    pub fn set_filters(&mut self, queue: &wgpu::Queue, filters: LayerFilters) {
        for (slot, (new, old)) in filters.iter().zip(&self.filters).enumerate() {
            let new_set = new.as_ref().and_then(|f| f.set.as_ref());
            if new_set.is_some() && new_set != old.as_ref().and_then(|f| f.set.as_ref()) {
                let words = new_set.map_or(&[][..], |s| s.words.as_slice());
                write_set_row(queue, &self.sets, slot, words);
                self.uploads.set_uploads += 1;
            }
        }
        self.filters = filters;
    }

    /// Shows or hides one chunk (e.g. the chunks of one beam): nothing is uploaded.
    pub fn set_chunk_visible(&mut self, index: usize, visible: bool) {
        if let Some(chunk) = self.chunks.get_mut(index) {
            chunk.visible = visible;
        }
    }

    /// Changes how the layer looks: uniforms, plus the LUT when the colormap or the classes changed.
    pub fn set_style(&mut self, queue: &wgpu::Queue, style: LayerStyle) {
        let key = (style.colormap, style.classes);
        if self.lut_colormap != Some(key) {
            write_lut(queue, &self.lut, lut_of(&style));
            self.lut_colormap = Some(key);
            self.uploads.lut_uploads += 1;
        }
        self.style = style;
    }
}

/// The table a style draws with: its classes' categorical one, or its colormap's gradient.
pub fn lut_of(style: &LayerStyle) -> [[u8; 4]; 256] {
    match &style.classes {
        Some(classes) => classes.lut(),
        None => style.colormap.lut(),
    }
}

fn write_set_row(queue: &wgpu::Queue, texture: &wgpu::Texture, slot: usize, words: &[u32]) {
    let mut row = vec![0u32; SET_WORDS];
    for (to, from) in row.iter_mut().zip(words) {
        *to = *from;
    }
    queue.write_texture(
        wgpu::TexelCopyTextureInfo {
            texture,
            mip_level: 0,
            origin: wgpu::Origin3d { x: 0, y: slot as u32, z: 0 },
            aspect: wgpu::TextureAspect::All,
        },
        bytemuck::cast_slice(&row),
        wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(SET_WORDS as u32 * 4), rows_per_image: Some(1) },
        wgpu::Extent3d { width: SET_WORDS as u32, height: 1, depth_or_array_layers: 1 },
    );
}

fn write_lut(queue: &wgpu::Queue, texture: &wgpu::Texture, lut: [[u8; 4]; 256]) {
    queue.write_texture(
        wgpu::TexelCopyTextureInfo {
            texture,
            mip_level: 0,
            origin: wgpu::Origin3d::ZERO,
            aspect: wgpu::TextureAspect::All,
        },
        bytemuck::cast_slice(&lut),
        wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(256 * 4), rows_per_image: Some(1) },
        wgpu::Extent3d { width: 256, height: 1, depth_or_array_layers: 1 },
    );
}

/// Polylines of the offline basemap (coastlines), as a line list in one buffer.
pub struct GpuLines {
    origin_world: [f64; 2],
    vertices: wgpu::Buffer,
    count: u32,
    uniform: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    pub color: [u8; 4],
}

struct Draw {
    layer: usize,
    chunk: usize,
    uniform_offset: u32,
}

/// Pipelines and per-frame state for drawing point layers (and basemap lines) into one target format.
pub struct ScatterRenderer {
    pipeline: wgpu::RenderPipeline,
    lines_pipeline: wgpu::RenderPipeline,
    layer_layout: wgpu::BindGroupLayout,
    lines_layout: wgpu::BindGroupLayout,
    chunk_layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    chunk_uniforms: wgpu::Buffer,
    chunk_capacity: u64,
    chunk_bind_group: wgpu::BindGroup,
    draws: Vec<Draw>,
    /// The chunk-uniform offset of each set of lines prepared for this frame.
    lines_offsets: Vec<u32>,
}

impl ScatterRenderer {
    pub fn new(device: &wgpu::Device, target_format: wgpu::TextureFormat) -> Self {
        let uniform_entry = |binding, dynamic| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: dynamic,
                min_binding_size: None,
            },
            count: None,
        };
        let layer_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("floe layer"),
            entries: &[
                uniform_entry(0, false),
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::VERTEX,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: true },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::VERTEX,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 3,
                    visibility: wgpu::ShaderStages::VERTEX,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Uint,
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
            ],
        });
        let lines_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("floe lines"),
            entries: &[uniform_entry(0, false)],
        });
        let chunk_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("floe chunk"),
            entries: &[uniform_entry(0, true)],
        });
        let blend = Some(wgpu::BlendState::ALPHA_BLENDING);
        let targets =
            [Some(wgpu::ColorTargetState { format: target_format, blend, write_mask: wgpu::ColorWrites::ALL })];

        let scatter_shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("floe scatter"),
            source: wgpu::ShaderSource::Wgsl(include_str!("shaders/scatter.wgsl").into()),
        });
        let scatter_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("floe scatter"),
            bind_group_layouts: &[Some(&layer_layout), Some(&chunk_layout)],
            immediate_size: 0,
        });
        let buffers = [
            Some(wgpu::VertexBufferLayout {
                array_stride: 8,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &wgpu::vertex_attr_array![0 => Float32x2],
            }),
            Some(wgpu::VertexBufferLayout {
                array_stride: 4,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &wgpu::vertex_attr_array![1 => Float32],
            }),
            Some(wgpu::VertexBufferLayout {
                array_stride: 4,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &wgpu::vertex_attr_array![2 => Float32],
            }),
            Some(wgpu::VertexBufferLayout {
                array_stride: 4,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &wgpu::vertex_attr_array![3 => Float32],
            }),
            Some(wgpu::VertexBufferLayout {
                array_stride: 4,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &wgpu::vertex_attr_array![4 => Float32],
            }),
            Some(wgpu::VertexBufferLayout {
                array_stride: 4,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &wgpu::vertex_attr_array![5 => Float32],
            }),
        ];
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("floe scatter"),
            layout: Some(&scatter_layout),
            vertex: wgpu::VertexState {
                module: &scatter_shader,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &buffers,
            },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &scatter_shader,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &targets,
            }),
            multiview_mask: None,
            cache: None,
        });

        let lines_shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("floe lines"),
            source: wgpu::ShaderSource::Wgsl(include_str!("shaders/lines.wgsl").into()),
        });
        let lines_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("floe lines"),
            bind_group_layouts: &[Some(&lines_layout), Some(&chunk_layout)],
            immediate_size: 0,
        });
        let line_buffers = [Some(wgpu::VertexBufferLayout {
            array_stride: 8,
            step_mode: wgpu::VertexStepMode::Vertex,
            attributes: &wgpu::vertex_attr_array![0 => Float32x2],
        })];
        let lines_pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("floe lines"),
            layout: Some(&lines_pipeline_layout),
            vertex: wgpu::VertexState {
                module: &lines_shader,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &line_buffers,
            },
            primitive: wgpu::PrimitiveState { topology: wgpu::PrimitiveTopology::LineList, ..Default::default() },
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &lines_shader,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &targets,
            }),
            multiview_mask: None,
            cache: None,
        });

        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("floe lut"),
            mag_filter: wgpu::FilterMode::Nearest,
            min_filter: wgpu::FilterMode::Nearest,
            ..Default::default()
        });
        let chunk_capacity = 64;
        let (chunk_uniforms, chunk_bind_group) = create_chunk_uniforms(device, &chunk_layout, chunk_capacity);
        Self {
            pipeline,
            lines_pipeline,
            layer_layout,
            lines_layout,
            chunk_layout,
            sampler,
            chunk_uniforms,
            chunk_capacity,
            chunk_bind_group,
            draws: Vec::new(),
            lines_offsets: Vec::new(),
        }
    }

    /// An empty layer with a style; add points with [`GpuLayer::push_chunk`].
    pub fn create_layer(&self, device: &wgpu::Device, queue: &wgpu::Queue, style: LayerStyle) -> GpuLayer {
        let uniform = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("floe layer uniform"),
            size: std::mem::size_of::<LayerUniform>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let lut = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("floe lut"),
            size: wgpu::Extent3d { width: 256, height: 1, depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba8Unorm,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let view = lut.create_view(&wgpu::TextureViewDescriptor::default());
        let sets = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("floe filter sets"),
            size: wgpu::Extent3d { width: SET_WORDS as u32, height: FILTER_SLOTS as u32, depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::R32Uint,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let sets_view = sets.create_view(&wgpu::TextureViewDescriptor::default());
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("floe layer"),
            layout: &self.layer_layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(&view) },
                wgpu::BindGroupEntry { binding: 2, resource: wgpu::BindingResource::Sampler(&self.sampler) },
                wgpu::BindGroupEntry { binding: 3, resource: wgpu::BindingResource::TextureView(&sets_view) },
            ],
        });
        let mut layer = GpuLayer {
            chunks: Vec::new(),
            uniform,
            lut,
            bind_group,
            style,
            sets,
            filters: Default::default(),
            lut_colormap: None,
            uploads: UploadStats::default(),
        };
        layer.set_style(queue, style);
        layer
    }

    /// Uploads basemap polylines given as lists of world positions (each list one polyline).
    pub fn create_lines(&self, device: &wgpu::Device, polylines: &[Vec<[f64; 2]>], color: [u8; 4]) -> GpuLines {
        let origin_world = [0.5, 0.5];
        let mut vertices: Vec<[f32; 2]> = Vec::new();
        for line in polylines {
            for pair in line.windows(2) {
                for p in pair {
                    vertices.push([(p[0] - origin_world[0]) as f32, (p[1] - origin_world[1]) as f32]);
                }
            }
        }
        if vertices.is_empty() {
            vertices.push([0.0, 0.0]);
            vertices.push([0.0, 0.0]);
        }
        let buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("floe lines"),
            contents: bytemuck::cast_slice(&vertices),
            usage: wgpu::BufferUsages::VERTEX,
        });
        let uniform = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("floe lines uniform"),
            size: std::mem::size_of::<LinesUniform>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("floe lines"),
            layout: &self.lines_layout,
            entries: &[wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() }],
        });
        GpuLines { origin_world, vertices: buffer, count: vertices.len() as u32, uniform, bind_group, color }
    }

    /// Per-frame work: culls chunks to the view and writes one delta per visible chunk. O(chunks).
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        view: impl Into<View>,
        lines: &[&GpuLines],
        layers: &[&GpuLayer],
    ) {
        let view: View = view.into();
        let px_per_world = [view.px_per_world[0] as f32, view.px_per_world[1] as f32];
        let viewport_px = [view.viewport_px[0] as f32, view.viewport_px[1] as f32];
        let (view_min, view_max) = view.visible_world();
        self.draws.clear();
        let mut deltas: Vec<ChunkUniform> = Vec::new();
        let delta_of = |origin: [f64; 2]| ChunkUniform {
            delta_world: [(origin[0] - view.centre_world[0]) as f32, (origin[1] - view.centre_world[1]) as f32],
            _pad: [0.0; 2],
        };
        self.lines_offsets.clear();
        for lines in lines {
            let uniform = LinesUniform { viewport_px, px_per_world, color: unorm(lines.color) };
            queue.write_buffer(&lines.uniform, 0, bytemuck::bytes_of(&uniform));
            self.lines_offsets.push((deltas.len() as u64 * CHUNK_UNIFORM_STRIDE) as u32);
            deltas.push(delta_of(lines.origin_world));
        }
        for (layer_index, layer) in layers.iter().enumerate() {
            let style = layer.style;
            let uniform = LayerUniform {
                viewport_px,
                px_per_world,
                point_size: style.point_size,
                value_min: style.value_range.0,
                value_max: style.value_range.1,
                opacity: style.opacity,
                nodata_mode: u32::from(style.nodata.is_some()),
                _pad: [0; 3],
                nodata_color: unorm(style.nodata.unwrap_or([0; 4])),
                slots: std::array::from_fn(|slot| {
                    layer.filters.get(slot).and_then(Option::as_ref).map(|f| f.uniform()).unwrap_or_default()
                }),
            };
            queue.write_buffer(&layer.uniform, 0, bytemuck::bytes_of(&uniform));
            if !style.visible {
                continue;
            }
            // Points reach `point_size / 2 + 1` pixels beyond their centre.
            let margin = [0, 1].map(|axis| f64::from(style.point_size) / view.px_per_world[axis].abs());
            for (chunk_index, chunk) in layer.chunks.iter().enumerate() {
                let visible = chunk.visible
                    && chunk.max_world[0] + margin[0] >= view_min[0]
                    && chunk.min_world[0] - margin[0] <= view_max[0]
                    && chunk.max_world[1] + margin[1] >= view_min[1]
                    && chunk.min_world[1] - margin[1] <= view_max[1];
                if visible {
                    let uniform_offset = (deltas.len() as u64 * CHUNK_UNIFORM_STRIDE) as u32;
                    deltas.push(delta_of(chunk.origin_world));
                    self.draws.push(Draw { layer: layer_index, chunk: chunk_index, uniform_offset });
                }
            }
        }
        if deltas.len() as u64 > self.chunk_capacity {
            self.chunk_capacity = (deltas.len() as u64).next_power_of_two();
            let (buffer, bind_group) = create_chunk_uniforms(device, &self.chunk_layout, self.chunk_capacity);
            self.chunk_uniforms = buffer;
            self.chunk_bind_group = bind_group;
        }
        if !deltas.is_empty() {
            let mut staging = vec![0u8; deltas.len() * CHUNK_UNIFORM_STRIDE as usize];
            for (i, delta) in deltas.iter().enumerate() {
                let start = i * CHUNK_UNIFORM_STRIDE as usize;
                staging[start..start + std::mem::size_of::<ChunkUniform>()].copy_from_slice(bytemuck::bytes_of(delta));
            }
            queue.write_buffer(&self.chunk_uniforms, 0, &staging);
        }
    }

    /// Draws what [`ScatterRenderer::prepare`] selected. `layers` must be the same slice, in the same order.
    pub fn paint(&self, pass: &mut wgpu::RenderPass<'_>, lines: &[&GpuLines], layers: &[&GpuLayer]) {
        for (lines, offset) in lines.iter().zip(&self.lines_offsets) {
            pass.set_pipeline(&self.lines_pipeline);
            pass.set_bind_group(0, &lines.bind_group, &[]);
            pass.set_bind_group(1, &self.chunk_bind_group, &[*offset]);
            pass.set_vertex_buffer(0, lines.vertices.slice(..));
            pass.draw(0..lines.count, 0..1);
        }
        pass.set_pipeline(&self.pipeline);
        let mut bound_layer = None;
        for draw in &self.draws {
            let (Some(layer), Some(chunk)) =
                (layers.get(draw.layer), layers.get(draw.layer).and_then(|l| l.chunks.get(draw.chunk)))
            else {
                continue;
            };
            if bound_layer != Some(draw.layer) {
                pass.set_bind_group(0, &layer.bind_group, &[]);
                bound_layer = Some(draw.layer);
            }
            pass.set_bind_group(1, &self.chunk_bind_group, &[draw.uniform_offset]);
            pass.set_vertex_buffer(0, chunk.positions.slice(..));
            pass.set_vertex_buffer(1, chunk.values.slice(..));
            for (slot, buffer) in chunk.filter_values.iter().enumerate() {
                // A slot without values reads the colour values (same length); its test is off.
                let buffer = buffer.as_ref().unwrap_or(&chunk.values);
                pass.set_vertex_buffer(2 + slot as u32, buffer.slice(..));
            }
            pass.draw(0..6, 0..chunk.count);
        }
    }

    /// Points drawn by the last prepared frame.
    pub fn points_in_frame(&self, layers: &[&GpuLayer]) -> u64 {
        self.draws
            .iter()
            .filter_map(|d| layers.get(d.layer).and_then(|l| l.chunks.get(d.chunk)))
            .map(|c| u64::from(c.count))
            .sum()
    }
}

fn create_chunk_uniforms(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    capacity: u64,
) -> (wgpu::Buffer, wgpu::BindGroup) {
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("floe chunk uniforms"),
        size: capacity * CHUNK_UNIFORM_STRIDE,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("floe chunk uniforms"),
        layout,
        entries: &[wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &buffer,
                offset: 0,
                size: wgpu::BufferSize::new(std::mem::size_of::<ChunkUniform>() as u64),
            }),
        }],
    });
    (buffer, bind_group)
}

fn unorm(c: [u8; 4]) -> [f32; 4] {
    c.map(|v| f32::from(v) / 255.0)
}

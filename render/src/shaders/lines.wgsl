// One-pixel lines (the offline coastline basemap), positioned like the scatter chunks.

struct Lines {
    viewport_px: vec2<f32>,
    px_per_world: vec2<f32>,
    color: vec4<f32>,
};

struct Chunk {
    delta_world: vec2<f32>,
    _pad: vec2<f32>,
};

@group(0) @binding(0) var<uniform> lines: Lines;
@group(1) @binding(0) var<uniform> chunk: Chunk;

@vertex
fn vs_main(@location(0) local: vec2<f32>) -> @builtin(position) vec4<f32> {
    let px = (chunk.delta_world + local) * lines.px_per_world;
    return vec4<f32>(px.x / (0.5 * lines.viewport_px.x), -px.y / (0.5 * lines.viewport_px.y), 0.0, 1.0);
}

@fragment
fn fs_main() -> @location(0) vec4<f32> {
    return lines.color;
}

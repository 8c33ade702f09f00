// Round, soft-edged points as instanced quads. Positions arrive as f32 offsets from a per-chunk origin;
// `chunk.delta_world` (origin − view centre, computed in f64 on the CPU) keeps precision at any zoom.

// One filter slot (`SlotUniform` in filter.rs); a point fails when any slot in use rejects its value.
struct Slot {
    min: f32,
    max: f32,
    set_base: i32,
    flags: u32, // bit 0: in use, bit 1: the set (row `slot` of `sets`) applies
    mask: u32,
    want: u32,
    excluded_count: u32,
    _pad: u32,
    excluded: vec4<f32>,
};

struct Layer {
    viewport_px: vec2<f32>,
    px_per_world: vec2<f32>, // signed: a negative y draws larger y higher (the profile)
    point_size: f32,
    value_min: f32,
    value_max: f32,
    opacity: f32,
    nodata_mode: u32, // 0: hide nulls, 1: draw them in nodata_color
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    nodata_color: vec4<f32>,
    slots: array<Slot, 4>,
};

struct Chunk {
    delta_world: vec2<f32>,
    _pad: vec2<f32>,
};

@group(0) @binding(0) var<uniform> layer: Layer;
@group(0) @binding(1) var lut: texture_2d<f32>;
@group(0) @binding(2) var lut_sampler: sampler;
@group(0) @binding(3) var sets: texture_2d<u32>;
@group(1) @binding(0) var<uniform> chunk: Chunk;

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) color: vec4<f32>,
    @location(1) offset_px: vec2<f32>,
};

fn is_null(value: f32) -> bool {
    // NaN marks a null value. Test the bits: float comparisons with NaN may be optimised away.
    return (bitcast<u32>(value) & 0x7f800000u) == 0x7f800000u;
}

// `SlotFilter::passes` in filter.rs is this test on the CPU: keep them the same.
fn slot_passes(slot: u32, value: f32) -> bool {
    let s = layer.slots[slot];
    if ((s.flags & 1u) == 0u) {
        return true;
    }
    if (is_null(value) || value < s.min || value > s.max) {
        return false;
    }
    for (var i = 0u; i < min(s.excluded_count, 4u); i = i + 1u) {
        if (value == s.excluded[i]) {
            return false;
        }
    }
    let code = i32(floor(value + 0.5));
    if ((s.flags & 2u) != 0u) {
        let offset = code - s.set_base;
        if (offset < 0 || offset >= 8192) {
            return false;
        }
        let word = textureLoad(sets, vec2<i32>(offset / 32, i32(slot)), 0).r;
        if (((word >> u32(offset % 32)) & 1u) == 0u) {
            return false;
        }
    }
    return (u32(code) & s.mask) == s.want;
}

@vertex
fn vs_main(
    @builtin(vertex_index) vertex: u32,
    @location(0) local: vec2<f32>,
    @location(1) value: f32,
    @location(2) filter0: f32,
    @location(3) filter1: f32,
    @location(4) filter2: f32,
    @location(5) filter3: f32,
) -> VsOut {
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, 1.0), vec2<f32>(-1.0, 1.0),
    );
    var out: VsOut;
    let null_value = is_null(value);
    let filtered = !(slot_passes(0u, filter0) && slot_passes(1u, filter1) && slot_passes(2u, filter2)
        && slot_passes(3u, filter3));
    if ((null_value && layer.nodata_mode == 0u) || filtered) {
        out.position = vec4<f32>(2.0, 2.0, 2.0, 1.0); // outside the clip volume: not drawn
        out.color = vec4<f32>(0.0);
        out.offset_px = vec2<f32>(0.0);
        return out;
    }
    // Half the quad: the radius plus one pixel for the soft edge.
    let half_px = layer.point_size * 0.5 + 1.0;
    let corner = corners[vertex] * half_px;
    let centre_px = (chunk.delta_world + local) * layer.px_per_world;
    let px = centre_px + corner;
    out.position = vec4<f32>(px.x / (0.5 * layer.viewport_px.x), -px.y / (0.5 * layer.viewport_px.y), 0.0, 1.0);
    out.offset_px = corner;
    if (null_value) {
        out.color = layer.nodata_color;
    } else {
        let span = select(1.0, layer.value_max - layer.value_min, layer.value_max > layer.value_min);
        let t = clamp((value - layer.value_min) / span, 0.0, 1.0);
        let index = min(floor(t * 255.0 + 0.5), 255.0);
        out.color = textureSampleLevel(lut, lut_sampler, vec2<f32>((index + 0.5) / 256.0, 0.5), 0.0);
    }
    return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let radius = layer.point_size * 0.5;
    let distance = length(in.offset_px);
    let coverage = clamp(radius + 0.5 - distance, 0.0, 1.0);
    if (coverage <= 0.0) {
        discard;
    }
    return vec4<f32>(in.color.rgb, in.color.a * coverage * layer.opacity);
}

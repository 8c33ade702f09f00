#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    floe_io::fuzzing::allow_caught_panics();
    std::hint::black_box(floe_io::fuzzing::geojson_aoi(data));
});

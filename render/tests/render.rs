//! Rendering on a real wgpu device (lavapipe on CI): points land on the expected pixels in the expected
//! colormap colours, precision holds at zoom 20, and style changes never re-upload positions.

use floe_render::{Camera, Colormap, Headless, LayerStyle, chunk_world_points, world_from_lonlat};

const BACKGROUND: [u8; 4] = [255, 255, 255, 255];

fn layer_from(headless: &Headless, lonlat: &[(f64, f64)], values: &[f32], style: LayerStyle) -> floe_render::GpuLayer {
    let world: Vec<[f64; 2]> = lonlat.iter().map(|&(lon, lat)| world_from_lonlat(lon, lat)).collect();
    let mut layer = headless.renderer.create_layer(&headless.device, &headless.queue, style);
    for (chunk, range) in chunk_world_points(&world) {
        layer.push_chunk(&headless.device, &chunk, &values[range]);
    }
    layer
}

fn pixel_at(image: &floe_render::RgbaImage, camera: &Camera, lon: f64, lat: f64) -> [u8; 4] {
    let [x, y] = camera.px_from_lonlat(lon, lat);
    image.pixel(x.floor() as u32, y.floor() as u32).expect("inside the image")
}

#[test]
fn points_land_on_expected_pixels_in_colormap_colours() {
    let mut headless = Headless::new().expect("a wgpu adapter (lavapipe: mesa-vulkan-drivers)");
    let points = [(-45.0, 62.0), (-44.0, 62.5), (-43.0, 63.0)];
    let values = [0.0, 5.0, 10.0];
    let style = LayerStyle { value_range: (0.0, 10.0), point_size: 9.0, ..LayerStyle::default() };
    let layer = layer_from(&headless, &points, &values, style);
    let camera = Camera::fit_lonlat_box([-46.0, 61.5, -42.0, 63.5], [320, 240], 1.0, 0.0);
    let image = headless.render(&camera, BACKGROUND, &[], &[&layer]).unwrap();
    let lut = Colormap::Viridis.lut();
    assert_eq!(pixel_at(&image, &camera, -45.0, 62.0), lut[0]);
    assert_eq!(pixel_at(&image, &camera, -44.0, 62.5), lut[128]);
    assert_eq!(pixel_at(&image, &camera, -43.0, 63.0), lut[255]);
    // Away from the points: background; the corners of a 9 px point's square are outside its disc.
    assert_eq!(pixel_at(&image, &camera, -45.5, 63.2), BACKGROUND);
    let [x, y] = camera.px_from_lonlat(-45.0, 62.0);
    assert_eq!(image.pixel(x as u32 + 4, y as u32 + 4), Some(BACKGROUND));
    // A point 9 px wide covers its neighbours 3 px away.
    assert_eq!(image.pixel(x as u32 + 3, y as u32), Some(lut[0]));
}

#[test]
fn one_metre_apart_at_zoom_20_lands_on_different_pixels() {
    let mut headless = Headless::new().unwrap();
    let (lon, lat): (f64, f64) = (-45.123456789, 62.987654321);
    // One metre east at this latitude.
    let east = 1.0 / (111_319.490_793 * lat.to_radians().cos());
    let points = [(lon, lat), (lon + east, lat)];
    let style = LayerStyle { value_range: (0.0, 1.0), point_size: 3.0, ..LayerStyle::default() };
    let layer = layer_from(&headless, &points, &[0.0, 1.0], style);
    let camera = Camera {
        centre_world: world_from_lonlat(lon + east / 2.0, lat),
        zoom: 20.0,
        viewport_px: [64, 64],
        pixels_per_point: 1.0,
    };
    let image = headless.render(&camera, BACKGROUND, &[], &[&layer]).unwrap();
    let [x0, _] = camera.px_from_lonlat(lon, lat);
    let [x1, _] = camera.px_from_lonlat(lon + east, lat);
    assert!(x1 - x0 > 10.0, "1 m is {} px at zoom 20 here", x1 - x0);
    let lut = Colormap::Viridis.lut();
    assert_eq!(pixel_at(&image, &camera, lon, lat), lut[0]);
    assert_eq!(pixel_at(&image, &camera, lon + east, lat), lut[255]);
    assert_eq!(pixel_at(&image, &camera, lon + east / 2.0, lat), BACKGROUND);
}

#[test]
fn changing_colormap_changes_colours_without_reuploading_positions() {
    let mut headless = Headless::new().unwrap();
    let style = LayerStyle { value_range: (0.0, 10.0), point_size: 7.0, ..LayerStyle::default() };
    let mut layer = layer_from(&headless, &[(10.0, 10.0)], &[2.5], style);
    let camera = Camera::fit_lonlat_box([9.0, 9.0, 11.0, 11.0], [64, 64], 1.0, 0.0);
    let before = layer.uploads;
    assert_eq!(before.position_bytes, 8);
    let image = headless.render(&camera, BACKGROUND, &[], &[&layer]).unwrap();
    let index = floe_render::colormap::lut_index(2.5, 0.0, 10.0);
    assert_eq!(pixel_at(&image, &camera, 10.0, 10.0), Colormap::Viridis.lut()[index]);

    layer.set_style(&headless.queue, LayerStyle { colormap: Colormap::Magma, ..style });
    let image = headless.render(&camera, BACKGROUND, &[], &[&layer]).unwrap();
    assert_eq!(pixel_at(&image, &camera, 10.0, 10.0), Colormap::Magma.lut()[index]);
    assert_ne!(Colormap::Magma.lut()[index], Colormap::Viridis.lut()[index]);
    assert_eq!(layer.uploads.position_bytes, before.position_bytes, "positions uploaded once");
    assert_eq!(layer.uploads.value_bytes, before.value_bytes, "values untouched by a colormap change");
    assert_eq!(layer.uploads.lut_uploads, before.lut_uploads + 1);

    // A new range is a uniform: value 2.5 in [0, 5] maps to the middle of the LUT.
    layer.set_style(&headless.queue, LayerStyle { colormap: Colormap::Magma, value_range: (0.0, 5.0), ..style });
    let image = headless.render(&camera, BACKGROUND, &[], &[&layer]).unwrap();
    assert_eq!(pixel_at(&image, &camera, 10.0, 10.0), Colormap::Magma.lut()[128]);
    assert_eq!(layer.uploads.lut_uploads, before.lut_uploads + 1);
}

#[test]
fn nulls_are_drawn_in_the_nodata_colour_or_hidden() {
    let mut headless = Headless::new().unwrap();
    let nodata = [255, 0, 255, 255];
    let style = LayerStyle { value_range: (0.0, 1.0), point_size: 7.0, nodata: Some(nodata), ..LayerStyle::default() };
    let mut layer = layer_from(&headless, &[(0.0, 0.0), (1.0, 0.0)], &[f32::NAN, 1.0], style);
    let camera = Camera::fit_lonlat_box([-0.5, -0.5, 1.5, 0.5], [80, 40], 1.0, 0.0);
    let image = headless.render(&camera, BACKGROUND, &[], &[&layer]).unwrap();
    assert_eq!(pixel_at(&image, &camera, 0.0, 0.0), nodata);
    layer.set_style(&headless.queue, LayerStyle { nodata: None, ..style });
    let image = headless.render(&camera, BACKGROUND, &[], &[&layer]).unwrap();
    assert_eq!(pixel_at(&image, &camera, 0.0, 0.0), BACKGROUND);
    assert_eq!(pixel_at(&image, &camera, 1.0, 0.0), Colormap::Viridis.lut()[255]);
}

#[test]
fn classes_draw_in_their_colours_and_a_hidden_class_vanishes_without_a_reupload() {
    use floe_render::colormap::{CLASS_COLOURS, Classes};
    let mut headless = Headless::new().unwrap();
    let points = [(-45.0, 62.0), (-44.0, 62.5), (-43.0, 63.0)];
    // ATL08-like classes 0 (noise), 1 (ground), 2 (canopy).
    let classes = Classes { first: 0, count: 4, hidden: 0 };
    let style = LayerStyle {
        value_range: classes.value_range(),
        point_size: 9.0,
        classes: Some(classes),
        ..LayerStyle::default()
    };
    let mut layer = layer_from(&headless, &points, &[0.0, 1.0, 2.0], style);
    let camera = Camera::fit_lonlat_box([-46.0, 61.5, -42.0, 63.5], [320, 240], 1.0, 0.0);
    let image = headless.render(&camera, BACKGROUND, &[], &[&layer]).unwrap();
    assert_eq!(pixel_at(&image, &camera, -45.0, 62.0), CLASS_COLOURS[0]);
    assert_eq!(pixel_at(&image, &camera, -44.0, 62.5), CLASS_COLOURS[1]);
    assert_eq!(pixel_at(&image, &camera, -43.0, 63.0), CLASS_COLOURS[2]);
    let uploads = layer.uploads;
    // Hiding "ground": one table upload, nothing else.
    layer.set_style(&headless.queue, LayerStyle { classes: Some(Classes { hidden: 1 << 1, ..classes }), ..style });
    let image = headless.render(&camera, BACKGROUND, &[], &[&layer]).unwrap();
    assert_eq!(pixel_at(&image, &camera, -44.0, 62.5), BACKGROUND, "the hidden class is gone");
    assert_eq!(pixel_at(&image, &camera, -45.0, 62.0), CLASS_COLOURS[0]);
    assert_eq!(layer.uploads.position_bytes, uploads.position_bytes);
    assert_eq!(layer.uploads.value_bytes, uploads.value_bytes);
    assert_eq!(layer.uploads.lut_uploads, uploads.lut_uploads + 1);
}

#[test]
fn filtered_out_points_vanish_and_the_rest_keep_place_and_colour_with_uniform_changes_only() {
    use floe_render::{CodeSet, SlotFilter};
    let mut headless = Headless::new().unwrap();
    // A row of 8 points: colour value i, "rgt" 100 + 300 i, a quality flag i % 4.
    let points: Vec<(f64, f64)> = (0..8).map(|i| (-46.0 + f64::from(i) * 0.5, 62.5)).collect();
    let colours: Vec<f32> = (0..8).map(|i| i as f32).collect();
    let rgt: Vec<f32> = (0..8).map(|i| 100.0 + 300.0 * i as f32).collect();
    let flags: Vec<f32> = (0..8).map(|i| (i % 4) as f32).collect();
    let style = LayerStyle { value_range: (0.0, 7.0), point_size: 9.0, ..LayerStyle::default() };
    let world: Vec<[f64; 2]> = points.iter().map(|&(lon, lat)| world_from_lonlat(lon, lat)).collect();
    let mut layer = headless.renderer.create_layer(&headless.device, &headless.queue, style);
    for (index, (chunk, range)) in chunk_world_points(&world).into_iter().enumerate() {
        layer.push_chunk(&headless.device, &chunk, &colours[range.clone()]);
        let (device, queue) = (&headless.device, &headless.queue);
        layer.set_chunk_filter_values(device, queue, index, 0, &rgt[range.clone()]);
        layer.set_chunk_filter_values(device, queue, index, 1, &flags[range]);
    }
    let camera = Camera::fit_lonlat_box([-46.5, 62.0, -42.0, 63.0], [480, 160], 1.0, 0.0);
    let lut = Colormap::Viridis.lut();
    let colour_of = |i: usize| Colormap::Viridis.colour_for(i as f32, 0.0, 7.0);
    let shown = |headless: &mut Headless, layer: &floe_render::GpuLayer| -> Vec<bool> {
        let image = headless.render(&camera, BACKGROUND, &[], &[layer]).unwrap();
        points
            .iter()
            .enumerate()
            .map(|(i, &(lon, lat))| {
                let pixel = pixel_at(&image, &camera, lon, lat);
                assert!(pixel == BACKGROUND || pixel == colour_of(i), "point {i} keeps its colour: {pixel:?}");
                pixel != BACKGROUND
            })
            .collect()
    };
    assert_eq!(shown(&mut headless, &layer), [true; 8]);
    let uploads = layer.uploads;
    assert_eq!(uploads.filter_bytes, 2 * 8 * 4, "one f32 per point per filtered column");

    // An rgt set (drawn from a texture row) and "flag lacks bit 1" (bits 0b10 clear).
    let set = CodeSet::of(&[100, 700, 1300, 1900, 2200]);
    let mut filters: floe_render::LayerFilters = Default::default();
    filters[0] = Some(SlotFilter { set, ..Default::default() });
    filters[1] = Some(SlotFilter { mask: 0b10, want: 0, ..Default::default() });
    layer.set_filters(&headless.queue, filters.clone());
    // rgt 100, 400, …, 2200: in the set are points 0, 2, 4, 6, 7; bit 1 clear: points 0, 1, 4, 5.
    assert_eq!(shown(&mut headless, &layer), [true, false, false, false, true, false, false, false]);

    // A range on the same slot: uniforms only.
    filters[0] = Some(SlotFilter { min: 1000.0, max: 1900.0, ..Default::default() });
    filters[1] = None;
    layer.set_filters(&headless.queue, filters);
    assert_eq!(shown(&mut headless, &layer), [false, false, false, true, true, true, true, false]);
    assert_eq!(layer.uploads.position_bytes, uploads.position_bytes, "no position re-upload");
    assert_eq!(layer.uploads.value_bytes, uploads.value_bytes);
    assert_eq!(layer.uploads.filter_bytes, uploads.filter_bytes, "filter values are not uploaded again");
    assert_eq!(layer.uploads.set_uploads, uploads.set_uploads + 1, "one set row for the rgt set");
    assert_eq!(lut[0], colour_of(0));
    // The CPU mirror agrees with the pixels.
    let range = SlotFilter { min: 1000.0, max: 1900.0, ..Default::default() };
    assert_eq!(rgt.iter().filter(|v| range.passes(**v)).count(), 4);
}

//! `floe render`: inputs → PNG, headless, exactly as the viewer draws them.

use std::sync::Arc;

use anyhow::Context as _;
use floe_io::{CancelToken, ColumnSelection, LonLatBox, Progress, ReadOptions};
use floe_render::projection::world_from_polar;
use floe_render::{Camera, Colormap, Headless, LayerStyle, Projection};

use super::progress_bar::ProgressBar;
use crate::cli::{Basemap, ProjectionChoice, RenderArgs, parse_range, parse_size};
use crate::load::{LoadEvent, default_colour_column, open_dataset, parallelism, run_load};
use crate::points::{PreparedBatch, ValueColumn, percentile_range};
use crate::style::{COAST, GRATICULE, PLAIN, SEA, UNIFORM_VALUE};

struct LoadedLayer {
    column: Option<ValueColumn>,
    batches: Vec<PreparedBatch>,
}

pub fn run(args: &RenderArgs) -> anyhow::Result<()> {
    let colormap = Colormap::from_name(&args.cmap).ok_or_else(|| {
        let names: Vec<&str> = Colormap::ALL.iter().map(|c| c.name()).collect();
        anyhow::anyhow!("unknown colormap `{}` (available: {})", args.cmap, names.join(", "))
    })?;
    let is_png = args.out.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"));
    anyhow::ensure!(is_png, "{}: floe render writes PNG images: name the output *.png", args.out.display());
    let size = parse_size(&args.size)?;
    let range = args.range.as_deref().map(parse_range).transpose()?;
    let bbox = args.bbox.as_deref().map(LonLatBox::parse).transpose().map_err(anyhow::Error::msg)?;
    let extent = args.extent.as_deref().map(parse_extent).transpose()?;
    if extent.is_some() && !matches!(args.projection, ProjectionChoice::North | ProjectionChoice::South) {
        anyhow::bail!("--extent is in projected metres of a polar view: add --projection north or --projection south");
    }
    let options = args.options.dataset_options()?;
    let inputs: Vec<&str> = args.inputs.iter().map(String::as_str).collect();
    crate::output::check(&args.out, &inputs, args.force).map_err(|r| anyhow::anyhow!(r.cli_message(&args.out)))?;
    let runtime = crate::runtime()?;

    let mut layers = Vec::new();
    for input in &args.inputs {
        let dataset = runtime.block_on(open_dataset(input, &options))?;
        let numeric = dataset.numeric_columns();
        let column = match &args.color {
            Some(name) if numeric.contains(name) => Some(name.clone()),
            Some(name) => anyhow::bail!(
                "{input}: no numeric column `{name}` to colour by (numeric columns: {})",
                numeric.join(", ")
            ),
            None => default_colour_column(&numeric).and_then(|i| numeric.get(i).cloned()),
        };
        let read = ReadOptions {
            columns: ColumnSelection::Named(column.iter().cloned().collect()),
            bbox,
            ..ReadOptions::default()
        };
        let progress = Arc::new(Progress::default());
        let bar = ProgressBar::start(input, Arc::clone(&progress));
        let mut loaded = LoadedLayer { column: None, batches: Vec::new() };
        let mut failure = None;
        runtime.block_on(run_load(
            dataset,
            read,
            crate::load::LoadOptions { filters: args.options.load_filters()?, ..Default::default() },
            parallelism(),
            progress,
            CancelToken::default(),
            |event| {
                match event {
                    LoadEvent::Opened { columns, .. } => loaded.column = columns.into_iter().next(),
                    LoadEvent::Batch(batch) => loaded.batches.push(batch),
                    LoadEvent::Finished => {}
                    LoadEvent::Failed(e) => failure = Some(e),
                }
                std::future::ready(true)
            },
        ));
        bar.finish();
        if let Some(e) = failure {
            return Err(e.into());
        }
        // Batches arrive in the order their decoding finishes (granule beams are read concurrently), and
        // overlapping points blend in draw order: a fixed order makes the same command draw the same image.
        loaded.batches.sort_by(|a, b| {
            a.beam.cmp(&b.beam).then(a.bbox.west.total_cmp(&b.bbox.west)).then(a.bbox.south.total_cmp(&b.bbox.south))
        });
        layers.push(loaded);
    }

    let data_bbox = layers.iter().flat_map(|l| &l.batches).fold(LonLatBox::EMPTY, |acc, b| acc.union(&b.bbox));
    let view_bbox = match bbox {
        Some(b) => b,
        None if !data_bbox.is_empty() => data_bbox,
        None => anyhow::bail!("nothing to draw: no input has points with a valid geometry"),
    };
    if let Some(bbox) = bbox.filter(|_| data_bbox.is_empty()) {
        let request = crate::subset::Request {
            inputs: args.inputs.iter().map(|i| crate::load::Input::Named(i.clone())).collect(),
            dataset: options.clone(),
            ..crate::subset::Request::default()
        };
        let extent = runtime.block_on(crate::subset::data_extent(&request))?;
        eprintln!(
            "warning: no points inside the bbox {}; the data lie in {} (W,S,E,N): the image shows the basemap only",
            bbox.to_text(),
            extent.to_text()
        );
    }
    let projection = args.projection.resolve(view_bbox.to_array());
    if projection != Projection::Mercator {
        println!("projection: {}", projection.label());
        for batch in layers.iter_mut().flat_map(|l| l.batches.iter_mut()) {
            batch.reproject(Projection::Mercator, projection);
        }
    }
    let camera = match (extent, bbox) {
        (Some([xmin, ymin, xmax, ymax]), _) => {
            Camera::fit_world_box(world_from_polar([xmin, ymax]), world_from_polar([xmax, ymin]), size, 1.0, 0.0)
        }
        (None, Some(bbox)) => {
            let (min, max) = projection.world_box_of_lonlat_box(bbox.to_array());
            Camera::fit_world_box(min, max, size, 1.0, 0.0)
        }
        // Web Mercator keeps its lon/lat fit; a polar view fits the points themselves (parallels are curves).
        (None, None) if projection == Projection::Mercator => {
            Camera::fit_lonlat_box(view_bbox.to_array(), size, 1.0, 0.05)
        }
        (None, None) => {
            let (min, max) = layers.iter().flat_map(|l| &l.batches).flat_map(|b| &b.chunks).fold(
                ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]),
                |(min, max), c| {
                    (
                        [min[0].min(c.min_world[0]), min[1].min(c.min_world[1])],
                        [max[0].max(c.max_world[0]), max[1].max(c.max_world[1])],
                    )
                },
            );
            Camera::fit_world_box(min, max, size, 1.0, 0.05)
        }
    };

    let mut headless = Headless::new().context("cannot render without a GPU adapter")?;
    // Debug, not info: the terminal of `floe render` shows results and problems only (RUST_LOG=debug shows it).
    log::debug!("rendering on {} ({:?})", headless.adapter_info.name, headless.adapter_info.backend);
    let has = |basemap| args.basemap.contains(&basemap);
    let mut lines = Vec::new();
    if has(Basemap::Graticule) {
        let graticule = crate::basemap::graticule_world(projection);
        lines.push(headless.renderer.create_lines(&headless.device, &graticule, GRATICULE));
    }
    if has(Basemap::Coastline) {
        let coastline = crate::basemap::coastline_world(projection);
        lines.push(headless.renderer.create_lines(&headless.device, &coastline, COAST));
    }
    let mut gpu_layers = Vec::new();
    // The first coloured layer's column and range: the legend drawn into the image.
    let mut legend: Option<(ValueColumn, (f64, f64), Option<floe_render::colormap::Classes>)> = None;
    for layer in &layers {
        let values: Vec<f32> =
            layer.batches.iter().flat_map(|b| b.values.first().into_iter().flatten().copied()).collect();
        // A class column without --range: a colour per class (as in the viewer's legend).
        let classes = match (range, &layer.column) {
            (None, Some(column)) => crate::classes::classes_of(&column.name),
            _ => None,
        };
        let value_range = match (range, &layer.column, classes) {
            (_, _, Some(classes)) => classes.value_range(),
            (Some((lo, hi)), Some(column), None) => (column.gpu_of(f64::from(lo)), column.gpu_of(f64::from(hi))),
            _ => percentile_range(&values, 2.0, 98.0).unwrap_or((0.0, 1.0)),
        };
        let names =
            layer.column.as_ref().filter(|_| classes.is_some()).and_then(|c| crate::classes::class_names(&c.name));
        if let (Some(column), Some(names)) = (&layer.column, names) {
            warn_if_constant(column, &values, &options);
            let listed: Vec<String> = names.iter().map(|(class, name)| format!("{class} {name}")).collect();
            println!("{}: classes {}", column.label(), listed.join(", "));
        } else if let Some(column) = &layer.column {
            warn_if_constant(column, &values, &options);
            println!(
                "{}: {} from {} to {} ({colormap})",
                column.label(),
                if range.is_some() { "range" } else { "2–98 % range" },
                column.format(column.value_of(value_range.0)),
                column.format(column.value_of(value_range.1))
            );
        }
        if legend.is_none()
            && let Some(column) = &layer.column
        {
            legend = Some((column.clone(), (column.value_of(value_range.0), column.value_of(value_range.1)), classes));
        }
        let style = LayerStyle { colormap, value_range, point_size: args.point_size, classes, ..LayerStyle::default() };
        let mut gpu = headless.renderer.create_layer(&headless.device, &headless.queue, style);
        for batch in &layer.batches {
            for (chunk, points) in batch.chunks.iter().zip(&batch.chunk_ranges) {
                match batch.values.first().and_then(|v| v.get(points.clone())) {
                    Some(values) => gpu.push_chunk(&headless.device, chunk, values),
                    // Without a value column every point takes the middle colour of the colormap.
                    None => gpu.push_chunk(&headless.device, chunk, &vec![UNIFORM_VALUE; chunk.len()]),
                }
            }
        }
        gpu_layers.push(gpu);
    }
    let background = if has(Basemap::Coastline) { SEA } else { PLAIN };
    let refs: Vec<_> = gpu_layers.iter().collect();
    let line_refs: Vec<_> = lines.iter().collect();
    let image = headless.render(&camera, background, &line_refs, &refs)?;
    let mut canvas = crate::annotate::Canvas { image };
    match legend {
        _ if args.no_legend => {}
        Some((column, _, Some(classes))) => {
            let entries: Vec<([u8; 4], String)> = crate::classes::class_names(&column.name)
                .unwrap_or_default()
                .iter()
                .map(|(class, name)| (classes.colour(*class), format!("{class} {name}")))
                .collect();
            crate::annotate::class_legend(&mut canvas, &column.label(), &entries);
        }
        Some((column, (lo, hi), None)) => {
            crate::annotate::map_legend(&mut canvas, colormap, &column.label(), &column.format(lo), &column.format(hi));
        }
        None => {}
    }
    let image = canvas.image;
    let png = image.to_png().with_context(|| format!("{}: cannot encode the PNG", args.out.display()))?;
    floe_io::write_bytes_atomically(&args.out, &png)?;
    let points: u64 = gpu_layers.iter().map(|l| l.num_points()).sum();
    println!("wrote {} ({}x{}, {points} points)", args.out.display(), size[0], size[1]);
    Ok(())
}

/// `--extent XMIN,YMIN,XMAX,YMAX` in projected metres.
fn parse_extent(text: &str) -> anyhow::Result<[f64; 4]> {
    let numbers: Vec<f64> =
        text.split(',').map(|v| v.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| {
            anyhow::anyhow!(
                "--extent {text}: expected XMIN,YMIN,XMAX,YMAX in metres, e.g. -700000,-3400000,900000,-600000"
            )
        })?;
    match numbers[..] {
        [xmin, ymin, xmax, ymax] if xmin < xmax && ymin < ymax && numbers.iter().all(|v| v.is_finite()) => {
            Ok([xmin, ymin, xmax, ymax])
        }
        _ => anyhow::bail!("--extent {text}: expected XMIN,YMIN,XMAX,YMAX with XMIN < XMAX and YMIN < YMAX"),
    }
}

/// A colour column with one value everywhere draws one colour: say so, and for ATL03 `signal_conf_ph` (−1, "not
/// considered", wherever the chosen surface type does not apply) name the option that picks another surface.
fn warn_if_constant(column: &ValueColumn, values: &[f32], options: &floe_io::DatasetOptions) {
    let mut finite = values.iter().copied().filter(|v| v.is_finite());
    let Some(first) = finite.next() else { return };
    if finite.any(|v| v != first) {
        return;
    }
    let value = column.format(column.value_of(first));
    if column.name == "signal_conf_ph" {
        eprintln!(
            "warning: signal_conf_ph is {value} at every point for the {} surface (-1: not considered for that \
             surface); pick the surface these photons are over with --surface ocean, sea-ice, land-ice or \
             inland-water",
            options.surface.name()
        );
    } else {
        eprintln!("warning: {} is {value} at every point: the map shows one colour", column.label());
    }
}

//! `floe profile`: one track of the inputs as a height-against-distance PNG with axes, headless. The first input is
//! coloured by a column; every further input on the same track is overlaid in a solid colour (ATL06 segments over
//! ATL03 photons).

use std::sync::Arc;

use anyhow::Context as _;
use floe_io::{CancelToken, ColumnSelection, Progress, ReadOptions};
use floe_render::{Colormap, Headless, LayerStyle, ProfileCamera};

use super::progress_bar::ProgressBar;
use crate::annotate::{Anchor, Canvas, INK, PAPER};
use crate::cli::{ProfileArgs, parse_range, parse_size};
use crate::load::{LoadEvent, open_dataset, parallelism, run_load};
use crate::plot::{Axis, MARGINS, draw_profile_axes, draw_profile_grid};
use crate::points::{TrackKey, percentile_range};
use crate::profile::{CollectedPoints, ProfileSeries, TrackPoints, XAxis, default_y_column, tracks_of};

/// Solid colours of the overlaid inputs, in order.
pub const OVERLAY_COLOURS: [[u8; 4]; 4] =
    [[220, 30, 30, 255], [20, 20, 20, 255], [240, 140, 0, 255], [0, 150, 200, 255]];

/// Whether track `label` (`rgt 1234 · cycle 12 · gt1l`) is the one `--beam` and `--track KEY=VALUE` ask for.
pub fn track_matches(label: &str, beam: Option<&str>, pairs: &[(String, String)]) -> bool {
    let parts: Vec<&str> = label.split(" · ").collect();
    let has = |key: &str, value: &str| {
        parts.iter().any(|p| *p == format!("{key} {value}") || (matches!(key, "gt" | "track_id") && *p == value))
    };
    beam.is_none_or(|b| parts.iter().any(|p| *p == b || p.ends_with(&format!(" {b}"))))
        && pairs.iter().all(|(k, v)| has(k, v))
}

fn parse_pairs(texts: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    texts
        .iter()
        .map(|t| {
            t.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .filter(|(k, v)| !k.is_empty() && !v.is_empty())
                .ok_or_else(|| anyhow::anyhow!("--track `{t}`: expected KEY=VALUE, e.g. rgt=1234 or gt=gt1l"))
        })
        .collect()
}

pub fn run(args: &ProfileArgs) -> anyhow::Result<()> {
    let colormap = Colormap::from_name(&args.cmap).ok_or_else(|| {
        let names: Vec<&str> = Colormap::ALL.iter().map(|c| c.name()).collect();
        anyhow::anyhow!("unknown colormap `{}` (available: {})", args.cmap, names.join(", "))
    })?;
    let is_png = args.out.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"));
    anyhow::ensure!(is_png, "{}: floe profile writes PNG images: name the output *.png", args.out.display());
    let x_axis =
        XAxis::parse(&args.x).ok_or_else(|| anyhow::anyhow!("--x `{}`: expected x_atc, time or lat", args.x))?;
    let size = parse_size(&args.size)?;
    anyhow::ensure!(
        size[0] > MARGINS[0] + MARGINS[1] + 16 && size[1] > MARGINS[2] + MARGINS[3] + 16,
        "--size {}: too small for a plot with axes (at least {}x{})",
        args.size,
        MARGINS[0] + MARGINS[1] + 17,
        MARGINS[2] + MARGINS[3] + 17
    );
    let range = args.range.as_deref().map(parse_range).transpose()?;
    let xrange = args.xrange.as_deref().map(parse_xrange).transpose()?;
    let pairs = parse_pairs(&args.track)?;
    let options = args.options.dataset_options()?;
    let inputs: Vec<&str> = args.inputs.iter().map(String::as_str).collect();
    crate::output::check(&args.out, &inputs, args.force).map_err(|r| anyhow::anyhow!(r.cli_message(&args.out)))?;
    let runtime = crate::runtime()?;
    let track_key = TrackKey { columns: args.track_key.clone() };

    let mut loaded: Vec<(String, CollectedPoints)> = Vec::new();
    for input in &args.inputs {
        let dataset = runtime.block_on(open_dataset(input, &options))?;
        let read = ReadOptions { columns: ColumnSelection::AllNumeric, ..ReadOptions::default() };
        let progress = Arc::new(Progress::default());
        let bar = ProgressBar::start(input, Arc::clone(&progress));
        let mut collected = CollectedPoints::default();
        let mut batches = Vec::new();
        let mut failure = None;
        let load = crate::load::LoadOptions { track_key: track_key.clone(), filters: args.options.load_filters()? };
        runtime.block_on(run_load(dataset, read, load, parallelism(), progress, CancelToken::default(), |event| {
            match event {
                LoadEvent::Opened { columns, .. } => collected.set_columns(columns),
                LoadEvent::Batch(batch) => batches.push(batch),
                LoadEvent::Finished => {}
                LoadEvent::Failed(e) => failure = Some(e),
            }
            std::future::ready(true)
        }));
        bar.finish();
        if let Some(e) = failure {
            return Err(e.into());
        }
        // Batches arrive as their decoding finishes: a fixed order (beam, then along the track) makes the same
        // command draw the same image, and keeps the geodesic fallback's points in track order.
        batches.sort_by(|a, b| {
            a.beam
                .cmp(&b.beam)
                .then(a.along_track.first().unwrap_or(&0.0).total_cmp(b.along_track.first().unwrap_or(&0.0)))
        });
        for batch in batches {
            collected.push(batch);
        }
        loaded.push((input.clone(), collected));
    }

    // The track: the one label every filter allows, across the inputs.
    let mut labels: Vec<String> = Vec::new();
    for (input, collected) in &loaded {
        let tracks = tracks_of(collected);
        if tracks.is_empty() {
            anyhow::bail!(
                "{input}: no tracks: the rows have none of the track columns (rgt, cycle, gt, track_id, spot, beam); \
                 name them with --track-key"
            );
        }
        let matching: Vec<String> =
            tracks.iter().filter(|t| track_matches(t, args.beam.as_deref(), &pairs)).cloned().collect();
        if matching.is_empty() {
            anyhow::bail!(
                "{input}: no track matches{} (tracks: {})",
                describe_filters(args.beam.as_deref(), &pairs),
                tracks.join("; ")
            );
        }
        for label in matching {
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
    }
    let track = match labels.as_slice() {
        [one] => one.clone(),
        _ => anyhow::bail!(
            "{}: {} tracks match{}: {}; choose one with --beam or --track KEY=VALUE",
            args.inputs.join(", "),
            labels.len(),
            describe_filters(args.beam.as_deref(), &pairs),
            labels.join("; ")
        ),
    };

    let mut series = Vec::new();
    let mut y_axis = None;
    for (input, collected) in &loaded {
        let y_column = match &args.y {
            Some(name) => collected.columns().iter().position(|c| &c.name == name).ok_or_else(|| {
                let names: Vec<&str> = collected.columns().iter().map(|c| c.name.as_str()).collect();
                anyhow::anyhow!(
                    "{input}: no numeric column `{name}` for the y axis (numeric columns: {})",
                    names.join(", ")
                )
            })?,
            None => default_y_column(collected.columns()).ok_or_else(|| {
                anyhow::anyhow!(
                    "{input}: no height column (h_ph, h_li, h_te_best_fit, h_canopy, h_mean, height): name one with --y"
                )
            })?,
        };
        if x_axis == XAxis::Time && !collected.columns().iter().any(|c| c.is_time) {
            anyhow::bail!("{input}: no time column for --x time");
        }
        let profile = ProfileSeries::build(collected, &track, x_axis, y_column);
        if y_axis.is_none()
            && let Some(column) = collected.columns().get(y_column)
        {
            y_axis = Some(Axis { name: column.name.clone(), unit: column.unit.clone(), is_time: false });
        }
        series.push((input.as_str(), collected, profile));
    }
    let bounds = series
        .iter()
        .filter_map(|(_, _, s)| s.bounds)
        .reduce(|(a0, a1), (b0, b1)| ([a0[0].min(b0[0]), a0[1].min(b0[1])], [a1[0].max(b1[0]), a1[1].max(b1[1])]));
    let Some((mut min, mut max)) = bounds else {
        anyhow::bail!("{}: track {track} has no point with both an x and a y value", args.inputs.join(", "))
    };
    if let Some((x0, x1)) = xrange {
        let y =
            series.iter().filter_map(|(_, _, s)| s.y_bounds_within(x0, x1)).reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
        let Some((y0, y1)) = y else {
            anyhow::bail!(
                "{}: track {track} has no point in --xrange {x0}:{x1} (its points span {}:{})",
                args.inputs.join(", "),
                min[0],
                max[0]
            )
        };
        (min, max) = ([x0, y0], [x1, y1]);
    }
    let geodesic = series.first().is_some_and(|(_, _, s)| s.geodesic);
    let x_labels = Axis::x(x_axis, geodesic);
    let y_labels = y_axis.unwrap_or(Axis { name: "y".into(), unit: None, is_time: false });

    let plot_size = [size[0] - MARGINS[0] - MARGINS[1], size[1] - MARGINS[2] - MARGINS[3]];
    let mut camera = ProfileCamera::fit(min, max, plot_size, 0.04);
    if xrange.is_some() {
        // The stretch asked for fills the plot's width exactly.
        camera.px_per_unit[0] = f64::from(plot_size[0]) / (max[0] - min[0]);
    }
    let mut headless = Headless::new().context("cannot render without a GPU adapter")?;
    let mut gpu_layers = Vec::new();
    let mut legend: Vec<(String, Option<[u8; 4]>)> = Vec::new();
    let mut colour_key = None;
    for (index, (input, collected, profile)) in series.iter().enumerate() {
        let name = input.rsplit('/').next().unwrap_or(input).to_owned();
        let (style, colour_values): (LayerStyle, Option<(usize, &[f32])>) = if index == 0 {
            let colour_column = match &args.color {
                Some(name) => Some(
                    collected
                        .columns()
                        .iter()
                        .position(|c| &c.name == name)
                        .ok_or_else(|| anyhow::anyhow!("{input}: no numeric column `{name}` to colour by"))?,
                ),
                None => args
                    .y
                    .as_ref()
                    .and_then(|y| collected.columns().iter().position(|c| &c.name == y))
                    .or_else(|| default_y_column(collected.columns())),
            };
            let values = colour_column.map(|c| (c, collected.column_values(c)));
            let track_values: Vec<f32> = profile
                .chunks
                .iter()
                .flat_map(|c| values.and_then(|(_, v)| v.get(c.points.clone())).unwrap_or(&[]).iter().copied())
                .collect();
            let column = colour_column.and_then(|c| collected.columns().get(c));
            // A class column without --range: a colour per class, listed by name.
            let classes = column.filter(|_| range.is_none()).and_then(|c| crate::classes::classes_of(&c.name));
            let value_range = match (range, column, classes) {
                (_, _, Some(classes)) => classes.value_range(),
                (Some((lo, hi)), Some(column), None) => (column.gpu_of(f64::from(lo)), column.gpu_of(f64::from(hi))),
                _ => percentile_range(&track_values, 2.0, 98.0).unwrap_or((0.0, 1.0)),
            };
            colour_key = match (column, classes) {
                (Some(column), Some(classes)) => Some(ColourKey::Classes(
                    column.label(),
                    crate::classes::class_names(&column.name)
                        .unwrap_or_default()
                        .iter()
                        .map(|(class, name)| (classes.colour(*class), format!("{class} {name}")))
                        .collect(),
                )),
                (Some(column), None) => Some(ColourKey::Bar(
                    column.label(),
                    column.format(column.value_of(value_range.0)),
                    column.format(column.value_of(value_range.1)),
                )),
                (None, _) => None,
            };
            legend.push((name, classes.map(|c| c.colour(c.first + 1))));
            let style =
                LayerStyle { colormap, value_range, point_size: args.point_size, classes, ..LayerStyle::default() };
            (style, values)
        } else {
            let colour = OVERLAY_COLOURS[(index - 1) % OVERLAY_COLOURS.len()];
            legend.push((name, Some(colour)));
            // NaN values draw every point in the "no data" colour: a solid colour per overlay.
            (LayerStyle { point_size: args.point_size + 2.0, nodata: Some(colour), ..LayerStyle::default() }, None)
        };
        let mut gpu = headless.renderer.create_layer(&headless.device, &headless.queue, style);
        for chunk in &profile.chunks {
            let values: Vec<f32> = match colour_values {
                Some((_, values)) => values.get(chunk.points.clone()).map(<[f32]>::to_vec).unwrap_or_default(),
                None => vec![f32::NAN; chunk.chunk.len()],
            };
            if values.len() == chunk.chunk.len() {
                gpu.push_chunk(&headless.device, &chunk.chunk, &values);
            }
        }
        gpu_layers.push(gpu);
    }
    let refs: Vec<_> = gpu_layers.iter().collect();
    let points = headless.render(&camera, PAPER, &[], &refs)?;

    let mut canvas = Canvas::new(size[0], size[1], PAPER);
    let plot = [
        i64::from(MARGINS[0]),
        i64::from(MARGINS[2]),
        i64::from(MARGINS[0] + plot_size[0]),
        i64::from(MARGINS[2] + plot_size[1]),
    ];
    canvas.blit(&points, plot[0], plot[1]);
    draw_profile_axes(&mut canvas, plot, &camera, &x_labels, &y_labels);
    draw_legend(&mut canvas, plot, &track, &legend, colormap, colour_key.as_ref());
    // The grid under the points: lines drawn only where the plot is still paper.
    let mut grid = Canvas::new(size[0], size[1], PAPER);
    draw_profile_grid(&mut grid, plot, &camera, &x_labels, &y_labels);
    for (pixel, grid_pixel) in canvas.image.pixels.chunks_mut(4).zip(grid.image.pixels.chunks(4)) {
        if pixel == PAPER.as_slice() {
            pixel.copy_from_slice(grid_pixel);
        }
    }
    let png = canvas.image.to_png().with_context(|| format!("{}: cannot encode the PNG", args.out.display()))?;
    floe_io::write_bytes_atomically(&args.out, &png)?;
    let counts: Vec<String> =
        series.iter().map(|(input, _, s)| format!("{}: {} points", input, s.num_points())).collect();
    println!("track {track}; {}", counts.join(", "));
    println!("wrote {} ({}x{})", args.out.display(), size[0], size[1]);
    Ok(())
}

/// `--xrange MIN:MAX` in f64 (x_atc needs more digits than an f32 keeps).
fn parse_xrange(text: &str) -> anyhow::Result<(f64, f64)> {
    let (lo, hi) = text.split_once(':').ok_or_else(|| anyhow::anyhow!("--xrange `{text}`: expected MIN:MAX"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| anyhow::anyhow!("--xrange `{text}`: `{v}` is not a number"))
    };
    let (lo, hi) = (parse(lo)?, parse(hi)?);
    anyhow::ensure!(lo < hi, "--xrange `{text}`: MIN must be less than MAX");
    Ok((lo, hi))
}

fn describe_filters(beam: Option<&str>, pairs: &[(String, String)]) -> String {
    let mut parts: Vec<String> = beam.map(|b| format!("--beam {b}")).into_iter().collect();
    parts.extend(pairs.iter().map(|(k, v)| format!("--track {k}={v}")));
    if parts.is_empty() { String::new() } else { format!(" {}", parts.join(" ")) }
}

/// How the first input's colours read: a colour bar (title, low end, high end) or named classes.
enum ColourKey {
    Bar(String, String, String),
    Classes(String, Vec<([u8; 4], String)>),
}

/// The track's name, the colour key of the coloured input and a swatch per overlaid input, right of the plot.
fn draw_legend(
    canvas: &mut Canvas,
    plot: [i64; 4],
    track: &str,
    legend: &[(String, Option<[u8; 4]>)],
    colormap: Colormap,
    colour_key: Option<&ColourKey>,
) {
    canvas.text(&format!("track {track}"), plot[0] as f32, plot[1] as f32 - 15.0, 13.0, INK, Anchor::Left);
    let x = plot[2] + 12;
    let mut y = plot[1] + 10;
    for (name, colour) in legend {
        let short: String = name.chars().take(18).collect();
        match colour {
            Some(colour) => canvas.fill_rect(x, y - 5, x + 10, y + 5, *colour),
            None => canvas.fill_rect(x, y - 5, x + 10, y + 5, colormap.lut()[200]),
        }
        canvas.text(&short, x as f32 + 14.0, y as f32, 11.0, INK, Anchor::Left);
        y += 18;
    }
    match colour_key {
        Some(ColourKey::Bar(title, low, high)) => {
            let top = y + 24;
            let bottom = (plot[3] - 4).max(top + 40);
            canvas.colour_bar(colormap, [x, top, x + 14, bottom], title, low, high, 11.0, false);
        }
        Some(ColourKey::Classes(title, entries)) => {
            y += 12;
            canvas.text(title, x as f32, y as f32, 11.0, INK, Anchor::Left);
            for (colour, name) in entries {
                y += 17;
                canvas.fill_rect(x, y - 5, x + 10, y + 5, *colour);
                canvas.text(name, x as f32 + 14.0, y as f32, 11.0, INK, Anchor::Left);
            }
        }
        None => {}
    }
}

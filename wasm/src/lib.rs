//! `floe-web`: the browser entry point. Starts the same `FloeApp` as the desktop on the page's canvas.
//!
//! `?backend=webgl` forces WebGL2 (headless browsers may offer a WebGPU adapter that cannot present);
//! otherwise egui-wgpu prefers WebGPU and falls back to WebGL2. The chosen backend is logged once.

#[cfg(target_arch = "wasm32")]
mod web {
    use eframe::wasm_bindgen::JsCast as _;
    use floe::viewer::{AppOptions, FloeApp};
    use wasm_bindgen::prelude::wasm_bindgen;

    fn query(name: &str) -> Option<String> {
        let search = web_sys::window()?.location().search().ok()?;
        web_sys::UrlSearchParams::new_with_str(&search).ok()?.get(name)
    }

    /// Every value of a repeatable parameter (`?url=a&url=b`).
    fn query_all(name: &str) -> Vec<String> {
        let Some(search) = web_sys::window().and_then(|w| w.location().search().ok()) else { return Vec::new() };
        let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else { return Vec::new() };
        params.get_all(name).iter().filter_map(|v| v.as_string()).collect()
    }

    /// Bytes of decoded points the page holds at most (`?memory_mb=` changes it): well inside what a tab may
    /// allocate on 32-bit wasm, so a big file stops loading with a message instead of crashing the tab.
    const DEFAULT_MEMORY_BUDGET: u64 = 1_500_000_000;

    /// `?bench=decode&url=…`: decodes each file into GPU-ready batches, as the viewer does, without starting the
    /// viewer (its frames would share the one thread), and logs the time. Used by `scripts/bench-web`.
    async fn bench_decode(inputs: Vec<String>) {
        for input in inputs {
            let started = web_time::Instant::now();
            let dataset = match floe::load::open_dataset(&input, &floe_io::DatasetOptions::default()).await {
                Ok(dataset) => dataset,
                Err(e) => {
                    log::error!("floe: bench: {e}");
                    continue;
                }
            };
            let mut points = 0;
            let mut failure = None;
            let progress = std::sync::Arc::default();
            let read = floe_io::ReadOptions::default();
            floe::load::run_load(
                dataset,
                read,
                Default::default(),
                1,
                progress,
                floe_io::CancelToken::default(),
                |event| {
                    match event {
                        floe::load::LoadEvent::Batch(batch) => {
                            points += batch.chunks.iter().map(|c| c.len()).sum::<usize>()
                        }
                        floe::load::LoadEvent::Failed(e) => failure = Some(e),
                        _ => {}
                    }
                    std::future::ready(true)
                },
            )
            .await;
            match failure {
                Some(e) => log::error!("floe: bench: {e}"),
                None => {
                    log::info!("floe: bench {input}: {points} points decoded in {} ms", started.elapsed().as_millis())
                }
            }
        }
    }

    #[wasm_bindgen(start)]
    pub fn start() {
        eframe::WebLogger::init(log::LevelFilter::Info).ok();
        if query("bench").as_deref() == Some("decode") {
            wasm_bindgen_futures::spawn_local(bench_decode(query_all("url")));
            return;
        }
        let mut web_options = eframe::WebOptions::default();
        if query("backend").as_deref() == Some("webgl") {
            let mut setup = egui_wgpu::WgpuSetupCreateNew::without_display_handle();
            setup.instance_descriptor.backends = floe_render::wgpu::Backends::GL;
            web_options.wgpu_options.wgpu_setup = egui_wgpu::WgpuSetup::CreateNew(setup);
        }
        let options = AppOptions {
            // The page opens the small embedded sample by default (`?url=scene&url=scene:atl06` opens the synthetic
            // scene, whose 2.4 million photons the desktop shows at start).
            inputs: Some(query_all("url")).filter(|urls| !urls.is_empty()).unwrap_or_else(|| vec!["sample".to_owned()]),
            color: query("color"),
            cmap: query("cmap").and_then(|name| floe_render::Colormap::from_name(&name)),
            tiles: query("tiles").as_deref() != Some("off"),
            // `?projection=north|south|mercator`; absent or `auto`: chosen from the data.
            projection: query("projection").and_then(|name| floe_render::Projection::from_name(&name)),
            polar_tiles: query("polar_tiles"),
            // `?profile` opens the profile on the first track, `?profile=TRACK` on that one.
            profile: query("profile"),
            // `?filter=COLUMN OP VALUE` (repeatable) and `?time=START..END`, as `--filter` and `--time`; one that does
            // not parse is logged and left out.
            filters: query_all("filter")
                .iter()
                .map(|text| floe::row_filter::RowFilter::parse(text).map(|f| vec![f]))
                .chain(query("time").map(|text| floe::row_filter::time_filters(&text)))
                .filter_map(|parsed| match parsed {
                    Ok(filters) => Some(filters),
                    Err(e) => {
                        log::error!("floe: {e}");
                        None
                    }
                })
                .flatten()
                .collect(),
            track_key: floe::points::TrackKey {
                columns: query("track_key").map(|k| k.split(',').map(str::to_owned).collect()).unwrap_or_default(),
            },
            memory_budget: Some(
                query("memory_mb")
                    .and_then(|mb| mb.parse::<f64>().ok())
                    .map_or(DEFAULT_MEMORY_BUDGET, |mb| (mb.max(0.0) * 1e6) as u64),
            ),
            ..AppOptions::default()
        };
        // The rest of a view link: the camera, colour range, filters on the map, time window and AOI.
        let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
        let options = match floe::view_link::ViewLink::parse(&search) {
            Ok(link) => AppOptions {
                at: link.at,
                range: link.range,
                map_filters: link
                    .show
                    .iter()
                    .filter_map(|(text, layer)| Some((floe::row_filter::RowFilter::parse(text).ok()?, *layer)))
                    .collect(),
                time_window: link.window,
                aoi: link.aoi,
                ..options
            },
            Err(e) => {
                log::error!("floe: {e}");
                options
            }
        };
        wasm_bindgen_futures::spawn_local(async move {
            let Some(canvas) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("floe_canvas"))
                .and_then(|c| c.dyn_into::<web_sys::HtmlCanvasElement>().ok())
            else {
                log::error!("floe: no <canvas id=\"floe_canvas\"> on the page");
                return;
            };
            let started = eframe::WebRunner::new()
                .start(canvas, web_options, Box::new(|cc| Ok(Box::new(FloeApp::new(cc, options)?))))
                .await;
            if let Err(e) = started {
                log::error!("floe: the viewer could not start: {e:?}");
            }
        });
    }
}

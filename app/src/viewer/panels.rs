//! The viewer's panels: top bar, layers, style, legend and status bar. Each borrows only what it shows and
//! returns what it wants changed beyond that as [`Command`]s.

use egui::{Color32, RichText};
use floe_render::{Colormap, Projection};

use super::command::{Command, Purpose};
use super::{Layer, LoadState, Notice};

/// The menu buttons and the notices under them.
pub fn top_bar_ui(
    ui: &mut egui::Ui,
    notices: &[Notice],
    has_layers: bool,
    projection: Projection,
    profile_open: bool,
    commands: &mut Vec<Command>,
) {
    egui::Panel::top("top_bar").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.strong("Floe");
            ui.separator();
            if ui.button("Open file…").clicked() {
                // The desktop returns the paths picked; the browser's picker hands its files over later.
                commands.extend(crate::platform::pick_files_to_open().into_iter().map(Command::Open));
            }
            if ui.button("Open URL…").clicked() {
                commands.push(Command::ShowOpenUrl);
            }
            if has_layers
                && ui
                    .button("Export selection…")
                    .on_hover_text("Every layer's points inside the AOI, to GeoParquet")
                    .clicked()
            {
                commands.push(Command::Save(Purpose::Export { layer: None }));
            }
            ui.separator();
            // Last in the bar, so that the buttons before it keep their places.
            let label = ui.label("Map").id;
            egui::ComboBox::from_id_salt("projection")
                .selected_text(projection.label())
                .show_ui(ui, |ui| {
                    for choice in Projection::ALL {
                        if ui.selectable_label(choice == projection, choice.label()).clicked() && choice != projection {
                            commands.push(Command::SetProjection(choice));
                        }
                    }
                })
                .response
                .labelled_by(label);
            if has_layers
                && ui
                    .selectable_label(profile_open, "Profile")
                    .on_hover_text("Height along a track under the map (click a track on the map to choose it)")
                    .clicked()
            {
                commands.push(Command::ToggleProfile);
            }
            if has_layers && ui.button("Save image…").on_hover_text("The map as PNG, with the legend").clicked() {
                commands.push(Command::Save(Purpose::SaveImage { profile: false }));
            }
            if has_layers && ui.button("Copy link").on_hover_text("A link that reopens this view").clicked() {
                commands.push(Command::CopyLink);
            }
        });
        for (index, notice) in notices.iter().enumerate() {
            ui.horizontal(|ui| {
                let colour =
                    if notice.is_error { ui.visuals().error_fg_color } else { ui.visuals().strong_text_color() };
                ui.label(RichText::new(&notice.text).color(colour));
                if ui.small_button("Dismiss").clicked() {
                    commands.push(Command::DismissNotice(index));
                }
            });
        }
    });
}

/// Each layer: visibility, selection, progress, beams, and its buttons.
pub fn layers_ui(ui: &mut egui::Ui, layers: &mut [Layer], selected: &mut usize, commands: &mut Vec<Command>) {
    ui.heading("Layers");
    for (index, layer) in layers.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            ui.checkbox(&mut layer.style.visible, "show");
            if ui.selectable_label(*selected == index, &layer.name).on_hover_text(layer.input.name()).clicked() {
                *selected = index;
            }
        });
        let total = layer.rows_total.max(layer.rows_loaded);
        ui.label(format!("{} / {} rows", layer.rows_loaded, total));
        match layer.shown_count() {
            Some(shown) if shown != layer.rows_loaded => {
                ui.label(format!("{shown} of {} shown", layer.rows_loaded));
            }
            Some(_) => {}
            None => {
                ui.label("counting the points shown…");
            }
        }
        if layer.rows_skipped > 0 {
            ui.label(format!("{} rows without geometry skipped", layer.rows_skipped));
        }
        if let Some(progress) = layer.progress() {
            ui.add(egui::ProgressBar::new(progress.fraction()).show_percentage());
        }
        match &layer.state {
            LoadState::Failed(message) | LoadState::Stopped(message) => {
                ui.label(RichText::new(message).color(ui.visuals().error_fg_color));
            }
            LoadState::Cancelled => {
                ui.label("cancelled");
            }
            _ => {}
        }
        if !layer.beams.is_empty() {
            beams_ui(ui, layer);
        }
        ui.horizontal(|ui| {
            if layer.is_loading() && ui.button("Cancel").clicked() {
                layer.cancel();
            }
            if ui.button("Zoom to").clicked() {
                commands.push(Command::ZoomTo { layer: index });
            }
            if ui.button("Remove").clicked() {
                commands.push(Command::RemoveLayer { layer: index });
            }
            if ui.button("Export…").on_hover_text("This layer's points inside the AOI, to GeoParquet").clicked() {
                commands.push(Command::Save(Purpose::Export { layer: Some(index) }));
            }
        });
        ui.add_space(4.0);
    }
    if layers.is_empty() {
        ui.label("Open a GeoParquet file, or drop one here.");
    }
}

/// Beam toggles of a granule layer: all, strong only, or pick.
fn beams_ui(ui: &mut egui::Ui, layer: &mut Layer) {
    let before: Vec<bool> = layer.beams.iter().map(|b| b.2).collect();
    ui.horizontal(|ui| {
        ui.label("Beams");
        if ui.small_button("All").clicked() {
            layer.beams.iter_mut().for_each(|b| b.2 = true);
        }
        if ui.small_button("Strong").clicked() {
            layer.beams.iter_mut().for_each(|b| b.2 = b.1 == "strong");
        }
    });
    let mut order: Vec<usize> = (0..layer.beams.len()).collect();
    order.sort_by(|a, b| layer.beams[*a].0.cmp(&layer.beams[*b].0));
    ui.horizontal_wrapped(|ui| {
        for index in order {
            let (name, strength, shown) = &mut layer.beams[index];
            ui.checkbox(shown, format!("{name} ({strength})"));
        }
    });
    if layer.beams.iter().map(|b| b.2).ne(before) {
        layer.beams_dirty = true;
    }
}

/// The selected layer's colour column, colormap, range, point size, opacity and no-data colour.
pub fn style_ui(ui: &mut egui::Ui, layer: &mut Layer) {
    ui.heading("Style");
    let current = layer.colour_column().map(|c| c.name.clone()).unwrap_or_else(|| "–".to_owned());
    let mut picked = None;
    egui::ComboBox::from_label("Colour by").selected_text(current).show_ui(ui, |ui| {
        for (index, column) in layer.columns.iter().enumerate() {
            if ui.selectable_label(layer.colour_column == Some(index), &column.name).clicked() {
                picked = Some(index);
            }
        }
    });
    if let Some(index) = picked {
        layer.set_colour_column(index);
    }
    egui::ComboBox::from_label("Colormap").selected_text(layer.style.colormap.name()).show_ui(ui, |ui| {
        for colormap in Colormap::ALL {
            ui.selectable_value(&mut layer.style.colormap, colormap, colormap.name());
        }
    });
    if let Some(column) = layer.colour_column().cloned() {
        let (lo, hi) = layer.style.value_range;
        let (mut lo_value, mut hi_value) = (column.value_of(lo), column.value_of(hi));
        let speed = ((hi_value - lo_value).abs() / 200.0).max(1e-6);
        ui.horizontal(|ui| {
            let label = ui.label("Range").id;
            // Labelled for screen readers (and kittest's accessibility check).
            let lo_changed = ui.add(range_box(&mut lo_value, speed, column.is_time)).labelled_by(label).changed();
            let hi_changed = ui.add(range_box(&mut hi_value, speed, column.is_time)).labelled_by(label).changed();
            if lo_changed || hi_changed {
                layer.style.value_range = (column.gpu_of(lo_value), column.gpu_of(hi_value));
                layer.range_user_set = true;
            }
            if ui.button("Reset").on_hover_text("2nd–98th percentile of the loaded values").clicked() {
                layer.reset_range();
            }
        });
    }
    ui.add(egui::Slider::new(&mut layer.point_size, 1.0..=20.0).text("Point size"));
    ui.add(egui::Slider::new(&mut layer.style.opacity, 0.05..=1.0).text("Opacity"));
    let mut show_nulls = layer.style.nodata.is_some();
    ui.horizontal(|ui| {
        ui.checkbox(&mut show_nulls, "Show no-data points");
        if let Some(colour) = layer.style.nodata.as_mut() {
            let mut c = Color32::from_rgba_unmultiplied(colour[0], colour[1], colour[2], colour[3]);
            if ui.color_edit_button_srgba(&mut c).changed() {
                *colour = c.to_srgba_unmultiplied();
            }
        }
    });
    match (show_nulls, layer.style.nodata) {
        (true, None) => layer.style.nodata = Some([128, 128, 128, 255]),
        (false, Some(_)) => layer.style.nodata = None,
        _ => {}
    }
}

/// One end of the colour range; a time column's is typed and shown as a UTC date-time, as the legend shows it.
fn range_box(value: &mut f64, speed: f64, is_time: bool) -> egui::DragValue<'_> {
    let drag = egui::DragValue::new(value).speed(speed);
    if is_time {
        drag.custom_formatter(|v, _| crate::points::format_utc(v)).custom_parser(crate::time_range::parse_utc_seconds)
    } else {
        drag
    }
}

/// The colour bar, drawn from the same LUT the GPU samples.
pub fn legend_ui(ui: &mut egui::Ui, layer: &mut Layer) {
    let Some(column) = layer.colour_column() else { return };
    ui.heading("Legend");
    ui.label(column.label());
    if let (Some(classes), Some(names)) = (layer.style.classes, crate::classes::class_names(&column.name)) {
        classes_ui(ui, layer, classes, names);
        return;
    }
    let lut = layer.style.colormap.lut();
    let width = ui.available_width().min(280.0);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, 16.0), egui::Sense::hover());
    // One flat quad per LUT entry in a mesh: unlike feathered rects, no seams between the cells.
    let step = rect.width() / lut.len() as f32;
    let mut mesh = egui::Mesh::default();
    for (index, [r, g, b, _]) in lut.iter().enumerate() {
        let x = rect.left() + index as f32 * step;
        let cell = egui::Rect::from_min_max(egui::pos2(x, rect.top()), egui::pos2(x + step, rect.bottom()));
        mesh.add_colored_rect(cell, Color32::from_rgb(*r, *g, *b));
    }
    ui.painter().add(egui::Shape::mesh(mesh));
    let (lo, hi) = layer.style.value_range;
    ui.horizontal(|ui| {
        ui.label(column.format(column.value_of(lo)));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.label(column.format(column.value_of(hi)));
        });
    });
    if let Some(nodata) = layer.style.nodata {
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
            ui.painter().rect_filled(
                rect,
                2.0,
                Color32::from_rgba_unmultiplied(nodata[0], nodata[1], nodata[2], nodata[3]),
            );
            ui.label("no data");
        });
    }
}

/// A class column's legend: each class's colour, number, name and count; a click hides or shows the class.
fn classes_ui(
    ui: &mut egui::Ui,
    layer: &mut Layer,
    classes: floe_render::colormap::Classes,
    names: &[(i32, &'static str)],
) {
    let counts = layer.class_counts();
    let mut toggled = None;
    for (class, name) in names {
        let count = usize::try_from(class - classes.first).ok().and_then(|o| counts.get(o)).copied().unwrap_or(0);
        let hidden = classes.is_hidden(*class);
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
            let [r, g, b, _] = classes.colour(*class);
            if hidden {
                ui.painter().rect_stroke(rect, 2.0, (1.5, Color32::from_rgb(r, g, b)), egui::StrokeKind::Inside);
            } else {
                ui.painter().rect_filled(rect, 2.0, Color32::from_rgb(r, g, b));
            }
            let text = format!("{class} {name} ({count})");
            if ui.selectable_label(!hidden, text).on_hover_text("click to hide or show this class").clicked() {
                toggled = Some(*class);
            }
        });
    }
    if let Some(class) = toggled {
        layer.toggle_class(class);
    }
}

/// What the status bar shows.
pub struct Status {
    pub cursor_lonlat: Option<(f64, f64)>,
    pub zoom: f64,
    pub points_drawn: u64,
    pub frame_ms: f32,
    pub floe_ms: f32,
}

pub fn status_bar_ui(ui: &mut egui::Ui, status: &Status) {
    egui::Panel::bottom("status_bar").show(ui, |ui| {
        ui.horizontal(|ui| {
            match status.cursor_lonlat {
                Some((lon, lat)) => ui.monospace(format!("lon {lon:>11.6}  lat {lat:>10.6}")),
                None => ui.monospace("lon –  lat –"),
            };
            ui.separator();
            ui.monospace(format!("zoom {:.2}", status.zoom));
            ui.separator();
            ui.monospace(format!("{} points drawn", status.points_drawn));
            ui.separator();
            ui.monospace(format!("{:.1} ms CPU/frame ({:.1} Floe)", status.frame_ms, status.floe_ms))
                .on_hover_text("CPU time per frame; in brackets, Floe's own part: its UI code and draw calls, without egui's painting or a software rasteriser's");
        });
    });
}

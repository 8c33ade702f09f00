//! The *Filters* section of the side panel. Two lists of the same `--filter` syntax (`h_li > 1000`,
//! `gt in gt1l,gt2l`, `time >= 2019-05-01`, `atl06_quality_summary lacks 1`):
//! - *on the map*: drawn on the GPU, so adding, changing or removing one costs uniforms, never a reload; ICESat-2
//!   presets (beam, spot, strong/weak, `signal_conf_ph`, `quality_ph`, ATL08 class, cycle, rgt) add to it;
//! - *loaded with*: rows that fail are never loaded (row groups pruned by their statistics); a change reloads.
//!
//! Both apply to exports. The layer's "N of M shown" is in the layers list.

use crate::points::ValueColumn;
use crate::row_filter::RowFilter;

use super::{Command, MapFilter};

#[derive(Default)]
pub struct FiltersPanel {
    /// What is being typed.
    text: String,
    /// Why the last text was refused.
    error: Option<String>,
    /// New filters on the map are for the selected layer only.
    this_layer_only: bool,
}

/// What the section shows.
pub struct FiltersView<'a> {
    pub loaded_with: &'a [RowFilter],
    pub on_map: &'a [MapFilter],
    /// The layers' ids and names (to say which layer a filter is for), and the selected layer's id.
    pub layers: Vec<(u64, &'a str)>,
    pub selected: Option<u64>,
    /// The selected layer's value columns (presets are offered for the columns it has).
    pub columns: &'a [ValueColumn],
    /// The selected layer has beams (granules, the scene): `gt` and `beam_strength` filters apply per beam.
    pub has_beams: bool,
    /// Filters the selected layer cannot apply, with why.
    pub not_applied: &'a [String],
}

/// A preset: its menu label and the filter it adds (replacing the map filters on the same column).
pub fn presets(columns: &[ValueColumn], has_beams: bool) -> Vec<(String, String)> {
    let has = |name: &str| columns.iter().any(|c| c.name == name);
    let mut presets: Vec<(String, String)> = Vec::new();
    if has_beams {
        presets.push(("Strong beams".into(), "beam_strength = strong".into()));
        presets.push(("Weak beams".into(), "beam_strength = weak".into()));
        for beam in ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"] {
            presets.push((format!("Beam {beam}"), format!("gt = {beam}")));
        }
    } else if has("spot") {
        // ATLAS spots 1, 3 and 5 are the strong beams whatever the spacecraft's orientation.
        presets.push(("Strong beams (spots 1, 3, 5)".into(), "spot in 1,3,5".into()));
        presets.push(("Weak beams (spots 2, 4, 6)".into(), "spot in 2,4,6".into()));
    }
    if has("spot") {
        for spot in 1..=6 {
            presets.push((format!("Spot {spot}"), format!("spot = {spot}")));
        }
    }
    if has("signal_conf_ph") {
        for (class, name) in [(2, "low"), (3, "medium"), (4, "high")] {
            presets.push((format!("signal_conf_ph ≥ {name}"), format!("signal_conf_ph >= {class}")));
        }
    }
    if has("quality_ph") {
        presets.push(("quality_ph nominal".into(), "quality_ph = 0".into()));
    }
    for column in ["atl08_class", "classed_pc_flag"] {
        if has(column) {
            for (class, name) in [(1, "ground"), (2, "canopy"), (3, "top of canopy")] {
                presets.push((format!("ATL08 {name}"), format!("{column} = {class}")));
            }
            presets.push(("ATL08 ground and canopy".into(), format!("{column} in 1,2,3")));
        }
    }
    if has("atl06_quality_summary") {
        presets.push(("atl06_quality_summary good".into(), "atl06_quality_summary = 0".into()));
    }
    presets
}

impl FiltersPanel {
    pub fn panel_ui(&mut self, ui: &mut egui::Ui, view: &FiltersView<'_>, commands: &mut Vec<Command>) {
        let open = !view.loaded_with.is_empty() || !view.on_map.is_empty();
        egui::CollapsingHeader::new("Filters").default_open(open).show(ui, |ui| {
            let mut removed = None;
            for (index, on_map) in view.on_map.iter().enumerate() {
                ui.horizontal_wrapped(|ui| {
                    ui.monospace(&on_map.filter.text);
                    if let Some(id) = on_map.layer {
                        let name = view.layers.iter().find(|(l, _)| *l == id).map_or("a removed layer", |(_, n)| n);
                        ui.small(format!("only {name}"));
                    }
                    if ui.small_button("Remove from map").on_hover_text("show its points again").clicked() {
                        removed = Some(index);
                    }
                });
            }
            if let Some(index) = removed {
                let mut kept = view.on_map.to_vec();
                kept.remove(index);
                commands.push(Command::SetMapFilters(kept));
            }
            for message in view.not_applied {
                ui.small(format!("Not applied to this layer: {message}"));
            }
            if !view.loaded_with.is_empty() {
                ui.label("Loaded with:");
            }
            if let Some(index) = filter_list_ui(ui, view.loaded_with, "Remove filter", "load the rows it dropped again")
            {
                let mut kept = view.loaded_with.to_vec();
                kept.remove(index);
                commands.push(Command::SetFilters(kept));
            }
            ui.horizontal(|ui| {
                let label = ui.label("Add");
                let edit = ui
                    .add(egui::TextEdit::singleline(&mut self.text).hint_text("h_li > 1000").desired_width(150.0))
                    .labelled_by(label.id);
                let entered = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                let on_map = ui.button("Apply").on_hover_text("draw only the points that pass (no reload)").clicked();
                let load = ui.button("Load with").on_hover_text("load only the rows that pass").clicked();
                if on_map || entered || load {
                    match RowFilter::parse(self.text.trim()) {
                        Ok(filter) => {
                            if load {
                                let mut all = view.loaded_with.to_vec();
                                all.push(filter);
                                commands.push(Command::SetFilters(all));
                            } else {
                                let mut all = view.on_map.to_vec();
                                let layer = if self.this_layer_only { view.selected } else { None };
                                all.push(MapFilter { filter, layer });
                                commands.push(Command::SetMapFilters(all));
                            }
                            self.text.clear();
                            self.error = None;
                        }
                        Err(e) => self.error = Some(e.to_string()),
                    }
                }
            });
            if view.layers.len() > 1 {
                ui.checkbox(&mut self.this_layer_only, "on the map: only the selected layer");
            }
            if let Some(error) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            let presets = presets(view.columns, view.has_beams);
            if !presets.is_empty() {
                ui.menu_button("Presets", |ui| {
                    for (label, text) in presets {
                        if ui.button(label).clicked()
                            && let Ok(filter) = RowFilter::parse(&text)
                        {
                            let layer = if self.this_layer_only { view.selected } else { None };
                            let mut all: Vec<MapFilter> = view
                                .on_map
                                .iter()
                                .filter(|f| f.filter.column != filter.column || f.layer != layer)
                                .cloned()
                                .collect();
                            all.push(MapFilter { filter, layer });
                            commands.push(Command::SetMapFilters(all));
                            ui.close();
                        }
                    }
                });
            }
        });
    }
}

/// Lists filters, each with a remove button; returns the one to remove.
fn filter_list_ui(ui: &mut egui::Ui, filters: &[RowFilter], remove: &str, hover: &str) -> Option<usize> {
    let mut removed = None;
    for (index, filter) in filters.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.monospace(&filter.text);
            if ui.small_button(remove).on_hover_text(hover).clicked() {
                removed = Some(index);
            }
        });
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_follow_the_columns() {
        let column = |name: &str| ValueColumn { name: name.into(), unit: None, is_time: false, reference: None };
        let granule = presets(&[column("signal_conf_ph"), column("spot")], true);
        let texts: Vec<&str> = granule.iter().map(|(_, t)| t.as_str()).collect();
        assert!(texts.contains(&"beam_strength = strong") && texts.contains(&"gt = gt3r"));
        assert!(texts.contains(&"signal_conf_ph >= 4") && texts.contains(&"spot = 6"));
        let sliderule = presets(&[column("spot"), column("atl08_class")], false);
        assert_eq!(sliderule[0], ("Strong beams (spots 1, 3, 5)".into(), "spot in 1,3,5".into()));
        assert!(sliderule.iter().any(|(_, t)| t == "atl08_class = 1"));
        // Every preset parses.
        for (_, text) in granule.iter().chain(&sliderule) {
            RowFilter::parse(text).unwrap();
        }
    }
}

//! The *Filters* section of the side panel: the `--filter`s in force (rows that fail one are not loaded, drawn,
//! profiled or exported), a box to add one (`h_li > 1000`, `gt in gt1l,gt2l`, `time >= 2019-05-01`) and a button to
//! remove each. A change reloads the layers through the new filters.

use crate::row_filter::RowFilter;

use super::Command;

#[derive(Default)]
pub struct FiltersPanel {
    /// What is being typed.
    text: String,
    /// Why the last text was refused.
    error: Option<String>,
}

impl FiltersPanel {
    pub fn panel_ui(&mut self, ui: &mut egui::Ui, filters: &[RowFilter], commands: &mut Vec<Command>) {
        egui::CollapsingHeader::new("Filters").default_open(!filters.is_empty()).show(ui, |ui| {
            let mut remove = None;
            for (index, filter) in filters.iter().enumerate() {
                ui.horizontal(|ui| {
                    ui.monospace(&filter.text);
                    if ui.small_button("Remove filter").on_hover_text("load the rows it dropped again").clicked() {
                        remove = Some(index);
                    }
                });
            }
            if let Some(index) = remove {
                let mut kept = filters.to_vec();
                kept.remove(index);
                commands.push(Command::SetFilters(kept));
            }
            ui.horizontal(|ui| {
                let label = ui.label("Add");
                let edit = ui
                    .add(egui::TextEdit::singleline(&mut self.text).hint_text("h_li > 1000").desired_width(150.0))
                    .labelled_by(label.id);
                let entered = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui.button("Apply").clicked() || entered {
                    match RowFilter::parse(self.text.trim()) {
                        Ok(filter) => {
                            let mut all = filters.to_vec();
                            all.push(filter);
                            commands.push(Command::SetFilters(all));
                            self.text.clear();
                            self.error = None;
                        }
                        Err(e) => self.error = Some(e.to_string()),
                    }
                }
            });
            if let Some(error) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
        });
    }
}

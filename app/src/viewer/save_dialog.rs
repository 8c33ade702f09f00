//! The desktop's "Save as" window for exports and AOI files: a path box, *Browse…* through the system's file
//! dialog where there is one, a refusal to write over an input, and a question before replacing a file.
//!
//! The path box is the fallback the system dialog lacks: on a machine without a file-dialog helper (no
//! xdg-desktop-portal, no zenity) rfd returns nothing, exactly as when the user cancels, so the window says
//! what may have happened instead of doing nothing visible.

use std::path::PathBuf;

use super::command::Purpose;
use crate::output::Refusal;

/// What the window asks the app to do.
#[derive(Debug, PartialEq, Eq)]
pub enum SaveCommand {
    /// Keep showing the window.
    Keep,
    /// The user closed or cancelled it.
    Close,
    /// Write to this path (checked: not an input; replacing an existing file was confirmed).
    Save(Purpose, PathBuf),
}

pub struct SaveDialog {
    purpose: Purpose,
    /// The path being typed.
    pub path: String,
    /// The last problem, shown in the window.
    pub message: Option<String>,
    /// The path exists and the user is asked whether to replace it.
    confirming: bool,
}

impl SaveDialog {
    pub fn new(purpose: Purpose, file_name: &str) -> Self {
        let directory = std::env::current_dir().unwrap_or_default();
        let path = directory.join(file_name).to_string_lossy().into_owned();
        Self { purpose, path, message: None, confirming: false }
    }

    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// Shows the window. `inputs` are the open layers' inputs: none of them may be written over.
    pub fn show_ui(&mut self, ctx: &egui::Context, inputs: &[&str]) -> SaveCommand {
        let mut command = SaveCommand::Keep;
        let mut open = true;
        // Over the map, not over the panel of the layer being exported.
        let window = egui::Window::new(self.purpose.title())
            .open(&mut open)
            .collapsible(false)
            .default_pos(ctx.content_rect().center() - egui::vec2(150.0, 120.0));
        window.show(ctx, |ui| {
            ui.label("Save to:");
            let edited = ui.add(egui::TextEdit::singleline(&mut self.path).desired_width(420.0)).changed();
            if edited {
                self.confirming = false;
                self.message = None;
            }
            ui.horizontal(|ui| {
                if ui.button("Browse…").clicked() {
                    self.browse();
                }
                if !self.confirming && ui.button("Save").clicked() {
                    command = self.check(inputs, false);
                }
                if ui.button("Cancel").clicked() {
                    command = SaveCommand::Close;
                }
            });
            if self.confirming {
                ui.label(format!("{} exists. Replace it?", self.path));
                ui.horizontal(|ui| {
                    if ui.button("Replace").clicked() {
                        command = self.check(inputs, true);
                    }
                    if ui.button("Keep it").clicked() {
                        self.confirming = false;
                    }
                });
            }
            if let Some(message) = &self.message {
                ui.label(egui::RichText::new(message).color(ui.visuals().error_fg_color));
            }
        });
        if !open { SaveCommand::Close } else { command }
    }

    fn browse(&mut self) {
        match crate::platform::pick_save_path(self.purpose.filter(), &PathBuf::from(&self.path)) {
            Some(path) => {
                self.path = path.to_string_lossy().into_owned();
                self.message = None;
                self.confirming = false;
            }
            None => {
                self.message = Some(
                    "No file was chosen. If no dialog appeared, this system has no file-dialog helper \
                     (xdg-desktop-portal or zenity): type the path above and press Save."
                        .to_owned(),
                );
            }
        }
    }

    /// Checks the typed path; asks before replacing a file unless `replace` was confirmed.
    fn check(&mut self, inputs: &[&str], replace: bool) -> SaveCommand {
        let path = PathBuf::from(self.path.trim());
        if path.as_os_str().is_empty() {
            self.message = Some("Type the path of the file to write.".to_owned());
            return SaveCommand::Keep;
        }
        if let Some(directory) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.is_dir()) {
            self.message = Some(format!("The folder {} does not exist.", directory.display()));
            return SaveCommand::Keep;
        }
        match crate::output::check(&path, inputs, replace) {
            Ok(()) => SaveCommand::Save(self.purpose, path),
            Err(Refusal::Exists) => {
                self.confirming = true;
                self.message = None;
                SaveCommand::Keep
            }
            Err(Refusal::IsInput(input)) => {
                self.confirming = false;
                self.message = Some(format!(
                    "{} is the open input {input} (the same file): writing it would destroy it. Choose another name.",
                    path.display()
                ));
                SaveCommand::Keep
            }
            Err(Refusal::IsDirectory) => {
                self.message = Some(format!("{} is a folder: add a file name.", path.display()));
                SaveCommand::Keep
            }
        }
    }
}

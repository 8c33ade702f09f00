//! The "Open URL" window. It owns what is typed and whether it is shown, and returns the URL the user submitted:
//! the app decides what opening means (the command pattern the other panels are to follow, issue 11).

#[derive(Default)]
pub struct OpenUrlWindow {
    /// Shown until submitted or closed.
    pub open: bool,
    text: String,
}

impl OpenUrlWindow {
    /// Shows the window when it is open; returns the URL once submitted (Open, or Enter in the box).
    pub fn show_ui(&mut self, ctx: &egui::Context) -> Option<String> {
        if !self.open {
            return None;
        }
        let mut submitted = false;
        egui::Window::new("Open URL").open(&mut self.open).collapsible(false).show(ctx, |ui| {
            ui.label("https://…, s3://bucket/key or a dataset prefix");
            let response = ui.text_edit_singleline(&mut self.text);
            let entered = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            submitted = ui.button("Open").clicked() || entered;
        });
        let url = self.text.trim();
        if !submitted || url.is_empty() {
            return None;
        }
        self.open = false;
        Some(url.to_owned())
    }
}

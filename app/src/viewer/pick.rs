//! Picking: the point under a click on the map, and the window that lists what is known of it (layer, lon/lat,
//! beam, every loaded column). The window owns what it shows; the app hands it a new pick.

use super::Layer;

/// How far from a click a point may be and still be picked, in ui points.
pub const PICK_RADIUS_POINTS: f64 = 6.0;

/// A picked point: its layer and what the layer knows of it.
#[derive(Clone, Debug, PartialEq)]
pub struct PickedPoint {
    pub layer_id: u64,
    pub layer_name: String,
    /// The point's index in its layer's loaded rows.
    pub point: usize,
    pub attributes: Vec<(String, String)>,
}

/// The nearest shown point to `world` within `radius` (world units), over every layer; later layers are drawn on
/// top and win ties.
pub fn pick(layers: &[Layer], world: [f64; 2], radius: f64) -> Option<PickedPoint> {
    let mut best: Option<(&Layer, usize, f64)> = None;
    for layer in layers {
        if let Some((point, distance)) = layer.nearest(world, radius)
            && best.is_none_or(|(_, _, d)| distance <= d)
        {
            best = Some((layer, point, distance));
        }
    }
    best.map(|(layer, point, _)| picked_point(layer, point))
}

/// What the *Point* window shows of loaded point `point` of `layer`.
pub fn picked_point(layer: &Layer, point: usize) -> PickedPoint {
    PickedPoint { layer_id: layer.id, layer_name: layer.name.clone(), point, attributes: layer.attributes(point) }
}

/// The "Point" window.
#[derive(Default)]
pub struct PickWindow {
    pub picked: Option<PickedPoint>,
}

impl PickWindow {
    pub fn show_ui(&mut self, ctx: &egui::Context) {
        let Some(picked) = &self.picked else { return };
        let mut open = true;
        egui::Window::new("Point").open(&mut open).collapsible(false).resizable(false).show(ctx, |ui| {
            ui.strong(format!("{}, loaded point {}", picked.layer_name, picked.point));
            egui::Grid::new("picked").striped(true).show(ui, |ui| {
                for (name, value) in &picked.attributes {
                    ui.label(name);
                    ui.monospace(value);
                    ui.end_row();
                }
            });
        });
        if !open {
            self.picked = None;
        }
    }
}

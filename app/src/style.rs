//! Colours and constants shared by the viewer and `floe render`, so both draw the same picture.

/// Sea background under the coastline basemap.
pub const SEA: [u8; 4] = [222, 232, 242, 255];
/// Coastline colour.
pub const COAST: [u8; 4] = [90, 107, 123, 255];
/// Background without a basemap.
pub const PLAIN: [u8; 4] = [255, 255, 255, 255];
/// Graticule lines: lighter than the coastline, under it.
pub const GRATICULE: [u8; 4] = [176, 190, 204, 255];
/// The value of every point of a layer without a value column: the middle of the default (0, 1) range.
pub const UNIFORM_VALUE: f32 = 0.5;
/// Points brushed in the profile, drawn over the map.
pub const BRUSHED: [u8; 4] = [255, 120, 0, 255];
/// The ring that marks, in one view, the point hovered in the other (profile ↔ map).
pub const MARKER_RGBA: [u8; 4] = [255, 230, 0, 255];

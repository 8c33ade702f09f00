//! `floe-render`: the wgpu scatterplot.
//!
//! Owns the coordinate spaces and camera (`camera`), the map projections (`projection`: Web Mercator and the
//! EPSG:3413/3031 polar stereographic), the profile's camera (`profile`), the CPU chunking behind f64 precision (`chunks`), the
//! colormap LUTs (`colormap`), the GPU pipelines and buffers (`scatter`) and offscreen rendering to images
//! (`headless`, `image`). Knows nothing of file formats or egui.

pub mod camera;
pub mod chunks;
pub mod colormap;
pub mod filter;
pub mod headless;
pub mod image;
pub mod profile;
pub mod projection;
pub mod scatter;

pub use camera::{Camera, View, lonlat_from_world, world_from_lonlat};
pub use chunks::{PointChunk, chunk_world_points};
pub use colormap::Colormap;
pub use filter::{CodeSet, FILTER_SLOTS, LayerFilters, SlotFilter};
pub use headless::{Headless, RenderError, TARGET_FORMAT};
pub use image::RgbaImage;
pub use profile::ProfileCamera;
pub use projection::Projection;
pub use scatter::{GpuLayer, GpuLines, LayerStyle, ScatterRenderer, UploadStats};
pub use wgpu;

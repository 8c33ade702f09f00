//! `PointBatch`: the unit every reader yields and every consumer (GPU upload, export, QA) takes.

use std::sync::Arc;

use arrow_array::{Array, Float64Array, RecordBatch};

use crate::lonlat_box::LonLatBox;
use crate::source_rows::SourceRows;

/// Decoded points: an Arrow batch whose first two columns are `lon` and `lat` (Float64, degrees, WGS84)
/// followed by the value columns under their original names. Rows with no drawable geometry are already
/// gone (counted in `skipped`); fill values are already null.
#[derive(Clone, Debug)]
pub struct PointBatch {
    pub batch: RecordBatch,
    pub bbox: LonLatBox,
    /// The file (or URL) the rows came from.
    pub source: Arc<str>,
    /// Rows of the input dropped because their geometry was null, empty or NaN.
    pub skipped: usize,
    /// Where each row came from: its row in the file (GeoParquet) or in its beam's datasets (granules, the scene).
    /// `None` where it is not known.
    pub rows: Option<SourceRows>,
}

impl PointBatch {
    pub fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    pub fn lon(&self) -> &Float64Array {
        self.coordinate(0)
    }

    pub fn lat(&self) -> &Float64Array {
        self.coordinate(1)
    }

    fn coordinate(&self, index: usize) -> &Float64Array {
        // Readers build column 0/1 as Float64 (`new_lonlat_batch`): a broken invariant is a bug, not bad input.
        self.batch
            .column(index)
            .as_any()
            .downcast_ref::<Float64Array>()
            .expect("PointBatch columns 0 and 1 are Float64 lon/lat")
    }

    /// A value column by name.
    pub fn column(&self, name: &str) -> Option<&Arc<dyn Array>> {
        self.batch.column_by_name(name)
    }
}

//! What `floe info` reports about a GeoParquet file or dataset.

use std::collections::BTreeSet;
use std::sync::Arc;

use futures::StreamExt;
use serde::Serialize;

use crate::error::Result;
use crate::geoparquet::hive::HiveDataset;
use crate::geoparquet::{ColumnSelection, ReadOptions};
use crate::lonlat_box::LonLatBox;
use crate::progress::{CancelToken, Progress};

#[derive(Clone, Debug, Serialize)]
pub struct ColumnInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
    /// Physical unit, when the file's field metadata names one (`unit` / `units`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DatasetSummary {
    pub location: String,
    pub files: usize,
    pub rows: u64,
    pub row_groups: usize,
    pub columns: Vec<ColumnInfo>,
    pub geometry_column: String,
    pub geometry_encoding: String,
    pub geometry_types: Vec<String>,
    pub crs: String,
    /// Bounds of the data (every vertex of lines and polygons): from row-group statistics of the bbox covering
    /// or coordinate columns when every row group has them, else from a scan.
    pub bbox: Option<[f64; 4]>,
    pub bbox_source: &'static str,
    /// The bbox written in the `geo` metadata, if any (may be looser than the data).
    pub geo_bbox: Option<[f64; 4]>,
    pub geo_version: Option<String>,
    pub has_bbox_covering: bool,
    pub compression: Vec<String>,
    pub partition_columns: Vec<String>,
}

/// Describes a dataset; scans the geometry only when statistics cannot give the bbox.
pub async fn describe(dataset: &HiveDataset) -> Result<DatasetSummary> {
    let first = dataset.files.first().map(|f| &f.file);
    let mut columns = Vec::new();
    let mut compression = BTreeSet::new();
    let mut row_groups = 0;
    let mut stats_bbox = Some(LonLatBox::EMPTY);
    for file in &dataset.files {
        let metadata = file.file.parquet_metadata();
        row_groups += metadata.num_row_groups();
        for rg in 0..metadata.num_row_groups() {
            stats_bbox = stats_bbox.zip(file.file.row_group_bbox(rg)).map(|(a, b)| a.union(&b));
            if let Some(meta) = metadata.row_groups().get(rg) {
                compression.extend(meta.columns().iter().map(|c| format!("{:?}", c.compression())));
            }
        }
    }
    if let Some(file) = first {
        for field in file.schema().fields() {
            let unit = field.metadata().get("unit").or_else(|| field.metadata().get("units")).cloned();
            columns.push(ColumnInfo { name: field.name().clone(), data_type: field.data_type().to_string(), unit });
        }
    }
    let geo = first.and_then(|f| f.geo.as_ref());
    let has_covering = geo.is_some_and(|g| g.primary.covering.is_some());
    // Lines and polygons reach beyond the centres the reader draws: their extent needs every vertex.
    let only_points = match geo {
        Some(geo) => {
            !geo.primary.geometry_types.is_empty()
                && geo.primary.geometry_types.iter().all(|t| t.trim_end_matches(" Z") == "Point")
        }
        None => true,
    };
    let (bbox, bbox_source) = match stats_bbox.filter(|b| !b.is_empty() || dataset.num_rows() == 0) {
        Some(b) if has_covering => (Some(b), "bbox covering statistics"),
        Some(b) => (Some(b), "coordinate column statistics"),
        None if only_points => (scan_bbox(dataset).await?, "scan of the points"),
        None => (extent_bbox(dataset).await?, "scan of every vertex"),
    };
    Ok(DatasetSummary {
        location: dataset.location.clone(),
        files: dataset.files.len(),
        rows: dataset.num_rows(),
        row_groups,
        columns,
        geometry_column: first.map(|f| f.geometry.columns().join(", ")).unwrap_or_default(),
        geometry_encoding: first.map(|f| f.geometry.encoding_name().to_owned()).unwrap_or_default(),
        geometry_types: geo.map(|g| g.primary.geometry_types.clone()).unwrap_or_else(|| vec!["Point".to_owned()]),
        crs: first.map(|f| f.crs.display_name()).unwrap_or_default(),
        bbox: bbox.filter(|b| !b.is_empty()).map(|b| b.to_array()),
        bbox_source,
        geo_bbox: geo.and_then(|g| g.primary.bbox).map(|b| b.to_array()),
        geo_version: geo.map(|g| g.version.clone()),
        has_bbox_covering: has_covering,
        compression: compression.into_iter().collect(),
        partition_columns: dataset.partition_columns().into_iter().map(|(k, _)| k).collect(),
    })
}

async fn extent_bbox(dataset: &HiveDataset) -> Result<Option<LonLatBox>> {
    let mut bbox = LonLatBox::EMPTY;
    for file in &dataset.files {
        if let Some(extent) = file.file.geometry_extent().await? {
            bbox = bbox.union(&extent);
        }
    }
    Ok((!bbox.is_empty()).then_some(bbox))
}

async fn scan_bbox(dataset: &HiveDataset) -> Result<Option<LonLatBox>> {
    let options = ReadOptions { columns: ColumnSelection::Named(vec![]), ..ReadOptions::default() };
    let mut stream = dataset.stream(&options, 2, Arc::new(Progress::default()), CancelToken::default())?;
    let mut bbox = LonLatBox::EMPTY;
    while let Some(batch) = stream.next().await {
        bbox = bbox.union(&batch?.bbox);
    }
    Ok((!bbox.is_empty()).then_some(bbox))
}

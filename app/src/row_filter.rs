//! `--filter "COLUMN OP VALUE"` on rows: `= != < <= > >= in` over numeric, time and text columns, and bit flags
//! (`has`: every bit of the value set, `lacks`: none of them) on integer columns. Hive partition keys
//! are pruned before listing (`floe_io::PartitionFilter`, which ignores the other keys); every filter is then applied
//! to the rows read, so that a partition key and a column of the same name agree.

use arrow_array::cast::AsArray;
use arrow_array::{ArrayRef, BooleanArray, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use floe_io::CompareOp;

/// How a row's value is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// One of a comma-separated list.
    In,
    /// Every bit of the value is set (integer columns; the value decimal or `0x` hex).
    Has,
    /// None of the value's bits is set.
    Lacks,
}

/// One `--filter`.
#[derive(Clone, Debug, PartialEq)]
pub struct RowFilter {
    pub column: String,
    pub op: FilterOp,
    /// One value, or the list of `in`.
    pub values: Vec<String>,
    /// The filter as typed, for messages.
    pub text: String,
}

impl RowFilter {
    /// Parses `h_li > 1000`, `gt in gt1l,gt2l`, `time >= 2019-05-01`, `rgt=1234`.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let invalid = || {
            anyhow::anyhow!(
                "--filter `{text}`: expected COLUMN OP VALUE with OP one of = != < <= > >= in has lacks (e.g. \
                 `h_li > 1000`, `gt in gt1l,gt2l`, `time >= 2019-05-01`, `atl06_quality_summary lacks 1`)"
            )
        };
        if let Some((column, list)) = text.split_once(" in ") {
            let values: Vec<String> = list.split(',').map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect();
            if column.trim().is_empty() || values.is_empty() {
                return Err(invalid());
            }
            return Ok(Self { column: column.trim().to_owned(), op: FilterOp::In, values, text: text.to_owned() });
        }
        for (word, op) in [(" has ", FilterOp::Has), (" lacks ", FilterOp::Lacks)] {
            if let Some((column, bits)) = text.split_once(word) {
                if column.trim().is_empty() || parse_bits(bits.trim()).is_none() {
                    return Err(invalid());
                }
                let values = vec![bits.trim().to_owned()];
                return Ok(Self { column: column.trim().to_owned(), op, values, text: text.to_owned() });
            }
        }
        // Comparisons read as hive partition filters do: one syntax for both.
        let comparison = floe_io::PartitionFilter::parse(text).map_err(|_| invalid())?;
        let op = match comparison.op {
            CompareOp::Eq => FilterOp::Eq,
            CompareOp::Ne => FilterOp::Ne,
            CompareOp::Lt => FilterOp::Lt,
            CompareOp::Le => FilterOp::Le,
            CompareOp::Gt => FilterOp::Gt,
            CompareOp::Ge => FilterOp::Ge,
        };
        Ok(Self { column: comparison.key, op, values: vec![comparison.value], text: text.to_owned() })
    }

    /// The filter as a hive partition filter: every comparison (an `in` list filters rows only).
    pub fn partition_filter(&self) -> Option<floe_io::PartitionFilter> {
        let op = match self.op {
            FilterOp::Eq => CompareOp::Eq,
            FilterOp::Ne => CompareOp::Ne,
            FilterOp::Lt => CompareOp::Lt,
            FilterOp::Le => CompareOp::Le,
            FilterOp::Gt => CompareOp::Gt,
            FilterOp::Ge => CompareOp::Ge,
            FilterOp::In | FilterOp::Has | FilterOp::Lacks => return None,
        };
        Some(floe_io::PartitionFilter { key: self.column.clone(), op, value: self.values.first()?.clone() })
    }

    /// The rows of `batch` the filter keeps (nulls never pass). `location` names the input in errors.
    pub fn mask(&self, batch: &RecordBatch, location: &str) -> anyhow::Result<BooleanArray> {
        let Some(array) = batch.column_by_name(&self.column) else {
            let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
            anyhow::bail!(
                "{location}: --filter `{}`: no column `{}` (columns: {})",
                self.text,
                self.column,
                names.join(", ")
            );
        };
        match array.data_type() {
            DataType::Timestamp(..) if matches!(self.op, FilterOp::Has | FilterOp::Lacks) => {
                self.mask_bits(array, location)
            }
            DataType::Timestamp(..) => self.mask_times(array, location),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..) => {
                self.mask_text(array, location)
            }
            t if t.is_numeric() || *t == DataType::Boolean => self.mask_numbers(array, location),
            other => anyhow::bail!(
                "{location}: --filter `{}`: column `{}` is {other}, which cannot be compared",
                self.text,
                self.column
            ),
        }
    }

    fn passes<T: PartialOrd>(&self, value: &T, targets: &[T]) -> bool {
        match self.op {
            FilterOp::In => targets.iter().any(|t| value == t),
            op => targets.first().is_some_and(|t| match op {
                FilterOp::Eq => value == t,
                FilterOp::Ne => value != t,
                FilterOp::Lt => value < t,
                FilterOp::Le => value <= t,
                FilterOp::Gt => value > t,
                FilterOp::Ge => value >= t,
                FilterOp::In | FilterOp::Has | FilterOp::Lacks => false,
            }),
        }
    }

    fn mask_numbers(&self, array: &ArrayRef, location: &str) -> anyhow::Result<BooleanArray> {
        if matches!(self.op, FilterOp::Has | FilterOp::Lacks) {
            return self.mask_bits(array, location);
        }
        let targets = self
            .values
            .iter()
            .map(|v| match v.as_str() {
                "true" => Ok(1.0),
                "false" => Ok(0.0),
                v => v.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| {
                    anyhow::anyhow!(
                        "{location}: --filter `{}`: `{v}` is not a number, and `{}` is a numeric column",
                        self.text,
                        self.column
                    )
                }),
            })
            .collect::<anyhow::Result<Vec<f64>>>()?;
        let values = arrow_cast::cast(array, &DataType::Float64)?;
        let values = values.as_primitive::<arrow_array::types::Float64Type>();
        Ok(values.iter().map(|v| Some(v.is_some_and(|v| self.passes(&v, &targets)))).collect())
    }

    fn mask_bits(&self, array: &ArrayRef, location: &str) -> anyhow::Result<BooleanArray> {
        let bits = self.values.first().and_then(|v| parse_bits(v)).unwrap_or(0);
        if !array.data_type().is_integer() {
            anyhow::bail!(
                "{location}: --filter `{}`: bit flags need an integer column, and `{}` is {}",
                self.text,
                self.column,
                array.data_type()
            );
        }
        let values = arrow_cast::cast(array, &DataType::Int64)?;
        let values = values.as_primitive::<arrow_array::types::Int64Type>();
        let has = self.op == FilterOp::Has;
        Ok(values.iter().map(|v| Some(v.is_some_and(|v| if has { v & bits == bits } else { v & bits == 0 }))).collect())
    }

    fn mask_times(&self, array: &ArrayRef, location: &str) -> anyhow::Result<BooleanArray> {
        let targets = self
            .values
            .iter()
            .map(|v| {
                arrow_cast::parse::string_to_timestamp_nanos(v).map_err(|_| {
                    anyhow::anyhow!(
                        "{location}: --filter `{}`: `{v}` is not a UTC date (2019-05-01) or date-time \
                         (2019-05-01T12:30:00Z), and `{}` is a time column",
                        self.text,
                        self.column
                    )
                })
            })
            .collect::<anyhow::Result<Vec<i64>>>()?;
        let nanos = arrow_cast::cast(array, &DataType::Timestamp(TimeUnit::Nanosecond, None))?;
        let nanos = arrow_cast::cast(&nanos, &DataType::Int64)?;
        let nanos = nanos.as_primitive::<arrow_array::types::Int64Type>();
        Ok(nanos.iter().map(|v| Some(v.is_some_and(|v| self.passes(&v, &targets)))).collect())
    }

    /// Whether a text value passes (the beam of a chunk: `gt`, `beam_strength`).
    pub fn passes_text(&self, value: &str) -> bool {
        let targets: Vec<&str> = self.values.iter().map(String::as_str).collect();
        self.passes(&value, &targets)
    }

    fn mask_text(&self, array: &ArrayRef, location: &str) -> anyhow::Result<BooleanArray> {
        if matches!(self.op, FilterOp::Has | FilterOp::Lacks) {
            return self.mask_bits(array, location);
        }
        let text = arrow_cast::cast(array, &DataType::Utf8)?;
        let text = text.as_string::<i32>();
        let targets: Vec<&str> = self.values.iter().map(String::as_str).collect();
        Ok(text.iter().map(|v| Some(v.is_some_and(|v| self.passes(&v, &targets)))).collect())
    }
}

/// A bit mask: decimal or `0x` hex.
pub fn parse_bits(text: &str) -> Option<i64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
    .filter(|bits| *bits >= 0)
}

/// The value ranges numeric filters allow, for pruning Parquet row groups by their statistics (`!=` prunes nothing;
/// filters on text or time columns have no numeric values and prune nothing either).
pub fn value_ranges(filters: &[RowFilter]) -> Vec<floe_io::ValueRange> {
    filters
        .iter()
        .filter_map(|filter| {
            let values: Vec<f64> =
                filter.values.iter().map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite())).collect::<Option<_>>()?;
            let (min, max) = match filter.op {
                FilterOp::Gt | FilterOp::Ge => (*values.first()?, f64::INFINITY),
                FilterOp::Lt | FilterOp::Le => (f64::NEG_INFINITY, *values.first()?),
                FilterOp::Eq => (*values.first()?, *values.first()?),
                FilterOp::In => {
                    values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)))
                }
                FilterOp::Ne | FilterOp::Has | FilterOp::Lacks => return None,
            };
            Some(floe_io::ValueRange { column: filter.column.clone(), min, max })
        })
        .collect()
}

/// The windows that comparisons with a UTC date or date-time put on their columns, for pruning (Parquet row groups
/// by their statistics, granule beams to their rows in time). A value that is no date-time (a number) is no window.
pub fn time_bounds(filters: &[RowFilter]) -> Vec<floe_io::TimeBounds> {
    filters
        .iter()
        .filter_map(|filter| {
            let value = filter.values.first()?;
            if value.parse::<f64>().is_ok() {
                return None;
            }
            let ns = arrow_cast::parse::string_to_timestamp_nanos(value).ok()?;
            let (start_ns, end_ns) = match filter.op {
                FilterOp::Ge => (ns, i64::MAX),
                FilterOp::Gt => (ns.checked_add(1)?, i64::MAX),
                FilterOp::Le => (i64::MIN, ns),
                FilterOp::Lt => (i64::MIN, ns.checked_sub(1)?),
                FilterOp::Eq => (ns, ns),
                _ => return None,
            };
            Some(floe_io::TimeBounds { column: filter.column.clone(), start_ns, end_ns })
        })
        .collect()
}

/// The granule beams the filters on `gt` and `beam_strength` leave (names, or strengths when only the strength is
/// filtered), for reading only those; empty when they name none of them (then every beam is read and the rows are
/// filtered as always).
pub fn beam_selection(filters: &[RowFilter]) -> Vec<String> {
    let of = |column: &str, universe: &[&str]| -> Option<Vec<String>> {
        let on: Vec<&RowFilter> = filters.iter().filter(|f| f.column == column).collect();
        (!on.is_empty())
            .then(|| universe.iter().filter(|v| on.iter().all(|f| f.passes_text(v))).map(|v| (*v).to_owned()).collect())
    };
    of("gt", &["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"])
        .or_else(|| of("beam_strength", &["strong", "weak"]))
        .unwrap_or_default()
}

/// `--time START..END` (`?time=` in the browser) as filters on the `time` column: `time >= START`, `time < END`.
pub fn time_filters(text: &str) -> anyhow::Result<Vec<RowFilter>> {
    // Checked as a whole first: dates, order, an open end.
    crate::time_range::TimeRange::parse(text)?;
    let (start, end) = text.split_once("..").unwrap_or((text, ""));
    let mut filters = Vec::new();
    if !start.trim().is_empty() {
        filters.push(RowFilter::parse(&format!("time >= {}", start.trim()))?);
    }
    if !end.trim().is_empty() {
        filters.push(RowFilter::parse(&format!("time < {}", end.trim()))?);
    }
    Ok(filters)
}

/// Which rows of `batch` every filter keeps.
fn keep(filters: &[RowFilter], batch: &RecordBatch, location: &str) -> anyhow::Result<Vec<bool>> {
    let mut keep = vec![true; batch.num_rows()];
    for filter in filters {
        for (k, pass) in keep.iter_mut().zip(filter.mask(batch, location)?.iter()) {
            *k &= pass == Some(true);
        }
    }
    Ok(keep)
}

/// The rows of `batch` every filter keeps.
pub fn apply(filters: &[RowFilter], batch: &RecordBatch, location: &str) -> anyhow::Result<RecordBatch> {
    if filters.is_empty() {
        return Ok(batch.clone());
    }
    let keep = keep(filters, batch, location)?;
    Ok(arrow_select::filter::filter_record_batch(batch, &BooleanArray::from(keep))?)
}

/// The points of `batch` every filter keeps, with their source rows and extent.
pub fn filter_points(filters: &[RowFilter], batch: &floe_io::PointBatch) -> anyhow::Result<floe_io::PointBatch> {
    let keep = keep(filters, &batch.batch, &batch.source)?;
    let kept = arrow_select::filter::filter_record_batch(&batch.batch, &BooleanArray::from(keep.clone()))?;
    let rows = batch.rows.as_ref().map(|rows| rows.pick(keep.iter().enumerate().filter(|(_, k)| **k).map(|(i, _)| i)));
    let mut points = floe_io::PointBatch { batch: kept, bbox: floe_io::LonLatBox::EMPTY, rows, ..batch.clone() };
    let mut bbox = floe_io::LonLatBox::EMPTY;
    for (x, y) in points.lon().values().iter().zip(points.lat().values().iter()) {
        bbox.extend(*x, *y);
    }
    points.bbox = bbox;
    Ok(points)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Float32Array, StringArray, TimestampNanosecondArray};

    use super::*;

    fn batch() -> RecordBatch {
        RecordBatch::try_from_iter([
            ("h", Arc::new(Float32Array::from(vec![Some(1.0), Some(5.5), None, Some(10.0)])) as ArrayRef),
            ("gt", Arc::new(StringArray::from(vec!["gt1l", "gt1r", "gt2l", "gt1l"])) as ArrayRef),
            (
                "time",
                Arc::new(TimestampNanosecondArray::from(vec![0, 86_400_000_000_000, 2 * 86_400_000_000_000, 0]))
                    as ArrayRef,
            ),
        ])
        .unwrap()
    }

    fn kept(filter: &str) -> Vec<bool> {
        let mask = RowFilter::parse(filter).unwrap().mask(&batch(), "t.parquet").unwrap();
        mask.iter().map(|v| v.unwrap()).collect()
    }

    #[test]
    fn comparisons_lists_and_times() {
        assert_eq!(kept("h > 2"), [false, true, false, true]);
        assert_eq!(kept("h<=5.5"), [true, true, false, false]);
        assert_eq!(kept("h != 1"), [false, true, false, true], "nulls never pass");
        assert_eq!(kept("gt in gt1l, gt2l"), [true, false, true, true]);
        assert_eq!(kept("gt = gt1r"), [false, true, false, false]);
        assert_eq!(kept("time >= 1970-01-02"), [false, true, true, false]);
        assert_eq!(kept("time < 1970-01-02T00:00:00Z"), [true, false, false, true]);
        let both = apply(
            &[RowFilter::parse("gt in gt1l").unwrap(), RowFilter::parse("h > 2").unwrap()],
            &batch(),
            "t.parquet",
        )
        .unwrap();
        assert_eq!(both.num_rows(), 1);
    }

    #[test]
    fn bit_flags_test_every_bit_or_none() {
        let flags = RecordBatch::try_from_iter([(
            "q",
            Arc::new(arrow_array::Int32Array::from(vec![Some(0), Some(1), Some(2), Some(3), None])) as ArrayRef,
        )])
        .unwrap();
        let kept = |filter: &str| -> Vec<bool> {
            let mask = RowFilter::parse(filter).unwrap().mask(&flags, "t.parquet").unwrap();
            mask.iter().map(|v| v.unwrap()).collect()
        };
        assert_eq!(kept("q has 1"), [false, true, false, true, false]);
        assert_eq!(kept("q lacks 0x1"), [true, false, true, false, false]);
        assert_eq!(kept("q has 3"), [false, false, false, true, false]);
        let error = RowFilter::parse("h has 1").unwrap().mask(&batch(), "t.parquet").unwrap_err().to_string();
        assert_eq!(error, "t.parquet: --filter `h has 1`: bit flags need an integer column, and `h` is Float32");
        assert!(RowFilter::parse("q has -1").is_err());
    }

    #[test]
    fn time_windows_and_beams_push_down() {
        let filters: Vec<RowFilter> = ["time >= 1970-01-02", "time < 1970-01-03", "h > 2", "gt in gt1l,gt2l,gt9x"]
            .iter()
            .map(|t| RowFilter::parse(t).unwrap())
            .collect();
        let day = 86_400_000_000_000;
        let bounds = time_bounds(&filters);
        assert_eq!(bounds.len(), 2, "numbers are no windows");
        assert_eq!((bounds[0].start_ns, bounds[0].end_ns), (day, i64::MAX));
        assert_eq!((bounds[1].start_ns, bounds[1].end_ns), (i64::MIN, 2 * day - 1));
        assert_eq!(beam_selection(&filters), ["gt1l", "gt2l"]);
        let strong = [RowFilter::parse("beam_strength = strong").unwrap()];
        assert_eq!(beam_selection(&strong), ["strong"]);
        let numeric = [RowFilter::parse("gt = 10").unwrap()];
        assert!(beam_selection(&numeric).is_empty(), "SlideRule's numeric gt picks no granule beam: all are read");
    }

    #[test]
    fn a_time_window_is_two_filters() {
        let filters = time_filters("1970-01-02..1970-01-03").unwrap();
        let kept = apply(&filters, &batch(), "t.parquet").unwrap();
        assert_eq!(kept.num_rows(), 1);
        assert_eq!(time_filters("1970-01-02..").unwrap().len(), 1);
        assert!(time_filters("1970-01-03..1970-01-02").is_err());
    }

    #[test]
    fn mistakes_are_named() {
        let error = |filter: &str| {
            RowFilter::parse(filter).and_then(|f| f.mask(&batch(), "t.parquet")).unwrap_err().to_string()
        };
        assert_eq!(error("h ~ 2").split(':').next(), Some("--filter `h ~ 2`"));
        assert_eq!(error("depth > 2"), "t.parquet: --filter `depth > 2`: no column `depth` (columns: h, gt, time)");
        assert_eq!(
            error("h > high"),
            "t.parquet: --filter `h > high`: `high` is not a number, and `h` is a numeric column"
        );
        assert_eq!(
            error("time > May"),
            "t.parquet: --filter `time > May`: `May` is not a UTC date (2019-05-01) or date-time (2019-05-01T12:30:00Z), \
             and `time` is a time column"
        );
    }
}

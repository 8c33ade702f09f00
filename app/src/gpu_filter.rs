//! Row filters drawn on the GPU: which of a layer's value columns each filter slot reads and what it tests
//! (`floe_render::SlotFilter`), planned from the same `RowFilter`s `--filter` parses.
//!
//! All filters on one column fold into one slot (ranges intersect, `in` lists become a code set, `has`/`lacks`
//! bit masks), so a filter change is uniforms only. Columns beyond the slots are tested on the CPU into one 0/1
//! value per point that the last slot reads (four bytes per point written again when they change). Filters on a
//! granule's beam columns (`gt`, `beam_strength`) pick whole chunks: every chunk holds one beam.
//!
//! The GPU compares the f32 values the layer draws with (`value - reference`): a bound falls on the nearest f32 on
//! its side, so `h > 1000` on an f32 column is exact, and a time bound is exact to the f32 step of the layer's
//! time span (61 µs for a 10-minute granule).

use floe_render::{CodeSet, FILTER_SLOTS, SlotFilter, filter::MAX_EXCLUDED};

use crate::points::ValueColumn;
use crate::row_filter::{FilterOp, RowFilter, parse_bits};

/// Columns whose value is the same for a whole chunk of a layer read one beam per batch.
pub const BEAM_COLUMNS: [&str; 2] = ["gt", "beam_strength"];

/// One column tested in one slot.
#[derive(Clone, Debug, PartialEq)]
pub struct SlotPlan {
    /// Index into the layer's value columns.
    pub column: usize,
    pub filter: SlotFilter,
}

/// How one layer applies a list of filters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GpuFilterPlan {
    /// One column per slot, at most [`FILTER_SLOTS`] (the last one left free when there is overflow).
    pub slots: Vec<SlotPlan>,
    /// Columns tested on the CPU into 0/1 values read by slot `FILTER_SLOTS - 1`.
    pub overflow: Vec<SlotPlan>,
    /// Filters on the beam columns, tested per chunk.
    pub beam_filters: Vec<RowFilter>,
    /// Filters the layer cannot apply, each with why.
    pub not_applied: Vec<String>,
}

impl GpuFilterPlan {
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty() && self.overflow.is_empty() && self.beam_filters.is_empty()
    }

    /// The filters of the GPU's slots: the columns' own, then the overflow's "passes" test.
    pub fn slot_filters(&self) -> floe_render::LayerFilters {
        let mut filters: floe_render::LayerFilters = Default::default();
        for (slot, plan) in filters.iter_mut().zip(&self.slots) {
            *slot = Some(plan.filter.clone());
        }
        if !self.overflow.is_empty()
            && let Some(last) = filters.last_mut()
        {
            *last = Some(SlotFilter { min: 0.5, max: 1.5, ..Default::default() });
        }
        filters
    }

    /// Whether a chunk of beam `name` with `strength` passes the beam filters.
    pub fn beam_passes(&self, name: &str, strength: &str) -> bool {
        self.beam_filters.iter().all(|f| f.passes_text(if f.column == "gt" { name } else { strength }))
    }
}

/// Plans `filters` for a layer with `columns`; `has_beams`: the layer knows the beam of each chunk.
pub fn plan(filters: &[RowFilter], columns: &[ValueColumn], has_beams: bool) -> GpuFilterPlan {
    let mut plan = GpuFilterPlan::default();
    // Columns in the order their first filter comes.
    let mut by_column: Vec<(usize, Vec<&RowFilter>)> = Vec::new();
    for filter in filters {
        if has_beams && BEAM_COLUMNS.contains(&filter.column.as_str()) {
            plan.beam_filters.push(filter.clone());
            continue;
        }
        let Some(column) = columns.iter().position(|c| c.name == filter.column) else {
            plan.not_applied.push(format!("`{}`: this layer has no numeric column `{}`", filter.text, filter.column));
            continue;
        };
        match by_column.iter_mut().find(|(c, _)| *c == column) {
            Some((_, list)) => list.push(filter),
            None => by_column.push((column, vec![filter])),
        }
    }
    let mut planned = Vec::new();
    for (column, list) in by_column {
        let Some(value_column) = columns.get(column) else { continue };
        match slot_filter(value_column, &list) {
            Ok(filter) => planned.push(SlotPlan { column, filter }),
            Err(message) => plan.not_applied.push(message),
        }
    }
    if planned.len() > FILTER_SLOTS {
        plan.overflow = planned.split_off(FILTER_SLOTS - 1);
    }
    plan.slots = planned;
    plan
}

/// All of one column's filters as one slot test, in the column's GPU values.
pub fn slot_filter(column: &ValueColumn, filters: &[&RowFilter]) -> Result<SlotFilter, String> {
    let mut slot = SlotFilter::default();
    let mut set: Option<Vec<i64>> = None;
    for filter in filters {
        let values: Vec<f64> =
            filter.values.iter().map(|v| gpu_value(column, filter, v)).collect::<Result<_, String>>()?;
        let first = values.first().copied().unwrap_or(f64::NAN);
        match filter.op {
            FilterOp::Ge => slot.min = slot.min.max(f32_at_or_above(first)),
            FilterOp::Gt => slot.min = slot.min.max(f32_above(first)),
            FilterOp::Le => slot.max = slot.max.min(f32_at_or_below(first)),
            FilterOp::Lt => slot.max = slot.max.min(f32_below(first)),
            FilterOp::Eq => {
                slot.min = slot.min.max(f32_at_or_above(first));
                slot.max = slot.max.min(f32_at_or_below(first));
            }
            FilterOp::Ne => {
                // A value no f32 equals excludes nothing.
                if f64::from(first as f32) == first {
                    if slot.excluded.len() == MAX_EXCLUDED {
                        return Err(format!(
                            "`{}`: at most {MAX_EXCLUDED} `!=` filters on one column (use `in`)",
                            filter.text
                        ));
                    }
                    slot.excluded.push(first as f32);
                }
            }
            FilterOp::In => {
                let codes: Vec<i64> = values
                    .iter()
                    .map(|v| (v.fract() == 0.0 && v.abs() < 2e9).then_some(*v as i64))
                    .collect::<Option<_>>()
                    .ok_or_else(|| format!("`{}`: `in` on the map takes whole numbers", filter.text))?;
                set = Some(match set {
                    Some(previous) => previous.into_iter().filter(|c| codes.contains(c)).collect(),
                    None => codes,
                });
            }
            FilterOp::Has | FilterOp::Lacks => {
                if column.reference.is_some_and(|r| r != 0.0) || column.is_time {
                    return Err(format!("`{}`: bit flags need a small integer column", filter.text));
                }
                let bits = filter.values.first().and_then(|v| parse_bits(v)).unwrap_or(0);
                let bits = u32::try_from(bits).map_err(|_| format!("`{}`: bit flags fit in 32 bits", filter.text))?;
                slot.mask |= bits;
                if filter.op == FilterOp::Has {
                    slot.want |= bits;
                }
            }
        }
    }
    if let Some(codes) = set {
        let text = filters.iter().map(|f| f.text.as_str()).collect::<Vec<_>>().join(", ");
        slot.set =
            Some(CodeSet::of(&codes).ok_or_else(|| {
                format!("`{text}`: the values span more than {} codes", floe_render::filter::SET_CODES)
            })?);
        if codes.is_empty() {
            // An empty intersection: nothing passes.
            slot.min = f32::INFINITY;
        }
    }
    Ok(slot)
}

/// A filter's value in the column's GPU units (`value - reference`; times in seconds).
fn gpu_value(column: &ValueColumn, filter: &RowFilter, text: &str) -> Result<f64, String> {
    let reference = column.reference.unwrap_or(0.0);
    if column.is_time {
        let nanos = arrow_cast::parse::string_to_timestamp_nanos(text).map_err(|_| {
            format!("`{}`: `{text}` is not a UTC date (2019-05-01) or date-time (2019-05-01T12:30:00Z)", filter.text)
        })?;
        // Whole seconds apart from the rest, so nanoseconds survive the subtraction.
        let whole = nanos.div_euclid(1_000_000_000);
        let fraction = nanos.rem_euclid(1_000_000_000) as f64 / 1e9;
        return Ok((whole as f64 - reference) + fraction);
    }
    if matches!(filter.op, FilterOp::Has | FilterOp::Lacks) {
        return Ok(0.0);
    }
    let value =
        match text {
            "true" => 1.0,
            "false" => 0.0,
            _ => text.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                format!("`{}`: `{text}` is not a number, and `{}` is numeric", filter.text, column.name)
            })?,
        };
    Ok(value - reference)
}

/// The smallest f32 at or above `x`.
pub fn f32_at_or_above(x: f64) -> f32 {
    let f = x as f32;
    if f64::from(f) < x { next_up(f) } else { f }
}

/// The smallest f32 above `x`.
pub fn f32_above(x: f64) -> f32 {
    let f = f32_at_or_above(x);
    if f64::from(f) == x { next_up(f) } else { f }
}

/// The largest f32 at or below `x`.
pub fn f32_at_or_below(x: f64) -> f32 {
    -f32_at_or_above(-x)
}

/// The largest f32 below `x`.
pub fn f32_below(x: f64) -> f32 {
    -f32_above(-x)
}

fn next_up(f: f32) -> f32 {
    if f.is_nan() || f == f32::INFINITY {
        return f;
    }
    if f == 0.0 {
        return f32::from_bits(1);
    }
    let bits = f.to_bits();
    f32::from_bits(if f > 0.0 { bits + 1 } else { bits - 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, reference: Option<f64>, is_time: bool) -> ValueColumn {
        ValueColumn { name: name.into(), unit: None, is_time, reference }
    }

    fn filters(texts: &[&str]) -> Vec<RowFilter> {
        texts.iter().map(|t| RowFilter::parse(t).unwrap()).collect()
    }

    #[test]
    fn bounds_fall_on_the_nearest_f32_on_their_side() {
        assert_eq!(f32_at_or_above(1000.0), 1000.0);
        assert!(f32_above(1000.0) > 1000.0 && f64::from(f32_above(1000.0)) < 1000.001);
        assert!(f64::from(f32_at_or_above(0.1)) >= 0.1 && f64::from(f32_at_or_below(0.1)) <= 0.1);
        assert!(f32_below(-2.0) < -2.0);
    }

    #[test]
    fn filters_on_one_column_fold_into_one_slot() {
        let columns = [column("h_li", None, false), column("rgt", None, false), column("q", None, false)];
        let plan =
            plan(&filters(&["h_li > 10", "h_li <= 20", "rgt in 245,1387", "q lacks 2", "depth > 1"]), &columns, false);
        assert_eq!(plan.slots.len(), 3);
        let h = &plan.slots[0].filter;
        assert_eq!([10.0, 10.000001, 20.0, 20.01].map(|v| h.passes(v)), [false, true, true, false]);
        let rgt = &plan.slots[1].filter;
        assert_eq!([245.0, 1387.0, 246.0].map(|v| rgt.passes(v)), [true, true, false]);
        let q = &plan.slots[2].filter;
        assert_eq!([0.0, 1.0, 2.0, 3.0].map(|v| q.passes(v)), [true, true, false, false]);
        assert_eq!(plan.not_applied, ["`depth > 1`: this layer has no numeric column `depth`"]);
    }

    #[test]
    fn times_compare_relative_to_the_layer_reference() {
        // 2019-05-01T00:00:00Z is 1556668800 s.
        let time = column("time", Some(1_556_668_000.0), true);
        let slot =
            slot_filter(&time, &filters(&["time >= 2019-05-01T00:00:00.5Z"]).iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(slot.min, 800.5);
        assert!(slot.passes(800.5) && !slot.passes(800.49994));
    }

    #[test]
    fn beyond_the_slots_columns_overflow_and_beams_go_per_chunk() {
        let columns: Vec<ValueColumn> = (0..6).map(|i| column(&format!("c{i}"), None, false)).collect();
        let texts: Vec<String> = (0..6).map(|i| format!("c{i} > {i}")).collect();
        let list: Vec<&str> = texts.iter().map(String::as_str).chain(["gt in gt1l,gt2l"]).collect();
        let plan = plan(&filters(&list), &columns, true);
        assert_eq!(plan.slots.len(), FILTER_SLOTS - 1);
        assert_eq!(plan.overflow.len(), 3);
        assert_eq!(
            plan.slot_filters()[FILTER_SLOTS - 1],
            Some(SlotFilter { min: 0.5, max: 1.5, ..Default::default() })
        );
        assert!(plan.beam_passes("gt2l", "weak") && !plan.beam_passes("gt1r", "strong"));
    }
}

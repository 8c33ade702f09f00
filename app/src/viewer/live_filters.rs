//! A layer's filters on the GPU: the plan for its columns (`gpu_filter::plan`), the 0/1 values of columns beyond
//! the slots, and the "N of M shown" count, made a few chunks per frame so that a filter change never blocks the
//! UI (the points themselves are hidden by the next frame's uniforms).

use std::ops::Range;

use crate::gpu_filter::{GpuFilterPlan, plan};
use crate::points::ValueColumn;
use crate::row_filter::RowFilter;

/// A filter drawn on the map: for every layer that has its column, or for one layer only.
#[derive(Clone, Debug, PartialEq)]
pub struct MapFilter {
    pub filter: RowFilter,
    /// The layer (id) it is for; `None`: every layer.
    pub layer: Option<u64>,
}

impl MapFilter {
    pub fn everywhere(filter: RowFilter) -> Self {
        Self { filter, layer: None }
    }

    pub fn applies_to(&self, layer: u64) -> bool {
        self.layer.is_none_or(|l| l == layer)
    }
}

/// What a GPU filter slot's buffers hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotSource {
    /// A value column (index into the layer's columns).
    Column(usize),
    /// The overflow columns' 0/1 values, as computed for this plan generation.
    Overflow(u64),
}

/// The count of shown points, made chunk by chunk.
#[derive(Debug, Default)]
pub struct ShownCount {
    /// What the count is of: the plan generation and the other things that hide points.
    key: u64,
    next_chunk: usize,
    shown: u64,
    /// The points the counted chunks hold.
    counted: u64,
    /// Whether each counted point is shown (what the QA histograms take).
    mask: Vec<bool>,
}

#[derive(Debug, Default)]
pub struct LiveFilters {
    filters: Vec<RowFilter>,
    pub plan: GpuFilterPlan,
    /// Bumped whenever the plan changes.
    pub generation: u64,
    /// 0/1 per loaded point for the overflow columns; covers the first `overflow.len()` points.
    overflow: Vec<f32>,
}

impl LiveFilters {
    pub fn filters(&self) -> &[RowFilter] {
        &self.filters
    }

    /// New filters, or the same ones for new columns: plans again.
    pub fn set(&mut self, filters: &[RowFilter], columns: &[ValueColumn], has_beams: bool) {
        let new_plan = plan(filters, columns, has_beams);
        self.filters = filters.to_vec();
        if new_plan != self.plan {
            self.plan = new_plan;
            self.generation += 1;
            self.overflow.clear();
        }
    }

    /// What each slot reads.
    pub fn slot_sources(&self) -> [Option<SlotSource>; floe_render::FILTER_SLOTS] {
        let mut sources = [None; floe_render::FILTER_SLOTS];
        for (source, slot) in sources.iter_mut().zip(&self.plan.slots) {
            *source = Some(SlotSource::Column(slot.column));
        }
        if !self.plan.overflow.is_empty()
            && let Some(last) = sources.last_mut()
        {
            *last = Some(SlotSource::Overflow(self.generation));
        }
        sources
    }

    /// Extends the overflow values to `points` loaded points.
    pub fn update_overflow(&mut self, values: &[Vec<f32>], points: usize) {
        if self.plan.overflow.is_empty() {
            return;
        }
        for point in self.overflow.len()..points {
            let passes = self.plan.overflow.iter().all(|slot| {
                let value = values.get(slot.column).and_then(|v| v.get(point)).copied().unwrap_or(f32::NAN);
                slot.filter.passes(value)
            });
            self.overflow.push(if passes { 1.0 } else { 0.0 });
        }
    }

    /// The overflow values of a point range.
    pub fn overflow_values(&self, range: Range<usize>) -> &[f32] {
        self.overflow.get(range).unwrap_or(&[])
    }

    /// Whether point `point` passes every slot (the beam filters are the chunk's business).
    pub fn passes(&self, values: &[Vec<f32>], point: usize) -> bool {
        let slot_passes = |slot: &crate::gpu_filter::SlotPlan| {
            slot.filter.passes(values.get(slot.column).and_then(|v| v.get(point)).copied().unwrap_or(f32::NAN))
        };
        self.plan.slots.iter().all(slot_passes)
            && (self.plan.overflow.is_empty() || self.overflow.get(point).is_some_and(|v| *v > 0.5))
    }
}

impl ShownCount {
    /// Counts on for at most `budget`: `shown(point)` says whether a point of a shown chunk is drawn. A new `key`
    /// starts again; chunks loaded since only add to the count.
    pub fn step_count(
        &mut self,
        key: u64,
        chunk_ranges: &[Range<usize>],
        chunk_shown: impl Fn(usize) -> bool,
        shown: impl Fn(usize) -> bool,
        budget: std::time::Duration,
    ) {
        if self.key != key {
            *self = ShownCount { key, ..ShownCount::default() };
        }
        let start = web_time::Instant::now();
        while let Some(range) = chunk_ranges.get(self.next_chunk) {
            let chunk_is_shown = chunk_shown(self.next_chunk);
            self.mask.resize(range.start, false);
            self.mask.extend(range.clone().map(|p| chunk_is_shown && shown(p)));
            self.shown += self.mask.get(range.clone()).map_or(0, |m| m.iter().filter(|s| **s).count() as u64);
            self.counted += range.len() as u64;
            self.next_chunk += 1;
            if start.elapsed() > budget {
                break;
            }
        }
    }

    /// Whether each loaded point is shown, once every loaded chunk has been counted.
    pub fn mask(&self, loaded: u64) -> Option<&[bool]> {
        (self.counted == loaded).then_some(self.mask.as_slice())
    }

    /// Points shown, once every loaded chunk has been counted.
    pub fn shown(&self, loaded: u64) -> Option<u64> {
        (self.counted == loaded).then_some(self.shown)
    }
}

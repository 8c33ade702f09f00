//! `SourceRows`: where each point came from (its row in its file or beam), kept as runs of consecutive rows.
//!
//! A row per point as a `u64` costs more than the point's GPU bytes (8 against 12) and building it was an eighth of
//! decoding a GeoParquet file; points arrive in file order, so a row group, a window of a beam or a track is one
//! run, and a batch of 128k points takes a few dozen bytes.

/// A run: the points from `at` to the next run's came from rows `row..`; `row == UNKNOWN`: from rows not known.
const UNKNOWN: u64 = u64::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    at: u64,
    row: u64,
}

/// The source row of each point of a sequence, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceRows {
    runs: Vec<Run>,
    len: u64,
}

impl SourceRows {
    /// `len` points from the consecutive rows starting at `first`.
    pub fn consecutive(first: u64, len: u64) -> Self {
        let mut rows = Self::default();
        rows.push_run(first, len);
        rows
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The row point `index` came from.
    pub fn get(&self, index: u64) -> Option<u64> {
        if index >= self.len {
            return None;
        }
        let run = self.runs.get(self.runs.partition_point(|r| r.at <= index).checked_sub(1)?)?;
        (run.row != UNKNOWN).then(|| run.row + (index - run.at))
    }

    /// Appends one point from `row`.
    pub fn push(&mut self, row: u64) {
        self.push_run(row, 1);
    }

    /// Appends `len` points whose rows are not known.
    pub fn push_unknown(&mut self, len: u64) {
        self.push_run(UNKNOWN, len);
    }

    /// Appends `len` points from the consecutive rows starting at `first`.
    pub fn push_run(&mut self, first: u64, len: u64) {
        if len == 0 {
            return;
        }
        let continues = self.runs.last().is_some_and(|last| match (last.row, first) {
            (UNKNOWN, UNKNOWN) => true,
            (UNKNOWN, _) | (_, UNKNOWN) => false,
            (row, _) => row.checked_add(self.len - last.at) == Some(first),
        });
        if !continues {
            self.runs.push(Run { at: self.len, row: first });
        }
        self.len += len;
    }

    /// Appends another sequence's points.
    pub fn extend_from(&mut self, other: &SourceRows) {
        for (first, len) in other.runs_iter() {
            self.push_run(first, len);
        }
    }

    /// The points at `indices`, in that order; indices past the end are skipped.
    pub fn pick(&self, indices: impl IntoIterator<Item = usize>) -> SourceRows {
        let mut picked = SourceRows::default();
        for index in indices.into_iter().map(|i| i as u64).filter(|i| *i < self.len) {
            match self.get(index) {
                Some(row) => picked.push(row),
                None => picked.push_unknown(1),
            }
        }
        picked
    }

    /// Each point's row, in order (`None` where it is not known).
    pub fn iter(&self) -> impl Iterator<Item = Option<u64>> + '_ {
        self.runs_iter().flat_map(|(first, len)| (0..len).map(move |i| (first != UNKNOWN).then(|| first + i)))
    }

    /// The runs as (first row, length).
    fn runs_iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.runs.iter().enumerate().map(|(i, run)| {
            let end = self.runs.get(i + 1).map_or(self.len, |next| next.at);
            (run.row, end - run.at)
        })
    }
}

impl FromIterator<u64> for SourceRows {
    fn from_iter<I: IntoIterator<Item = u64>>(rows: I) -> Self {
        let mut out = SourceRows::default();
        for row in rows {
            out.push(row);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_hold_consecutive_rows_and_answer_like_a_list() {
        let list = [5, 6, 7, 100, 101, 3, 4, 4, 9];
        let rows: SourceRows = list.iter().copied().collect();
        assert_eq!(rows.runs.len(), 5, "{rows:?}");
        assert_eq!(rows.len(), 9);
        assert_eq!(rows.iter().collect::<Vec<_>>(), list.map(Some));
        for (i, row) in list.iter().enumerate() {
            assert_eq!(rows.get(i as u64), Some(*row));
        }
        assert_eq!(rows.get(9), None);
        assert_eq!(rows.pick([8, 0, 1, 20]).iter().collect::<Vec<_>>(), [Some(9), Some(5), Some(6)]);

        let mut joined = SourceRows::consecutive(10, 1000);
        joined.extend_from(&SourceRows::consecutive(1010, 24));
        assert_eq!(joined.runs.len(), 1);
        joined.extend_from(&rows);
        assert_eq!(
            (joined.len(), joined.get(1023), joined.get(1024), joined.get(1032)),
            (1033, Some(1033), Some(5), Some(9))
        );
        assert_eq!(SourceRows::consecutive(3, 0), SourceRows::default());

        let mut mixed = SourceRows::consecutive(7, 2);
        mixed.push_unknown(2);
        mixed.push_unknown(1);
        mixed.push(9);
        assert_eq!(mixed.runs.len(), 3);
        assert_eq!(mixed.iter().collect::<Vec<_>>(), [Some(7), Some(8), None, None, None, Some(9)]);
        assert_eq!(mixed.pick([5, 2]).iter().collect::<Vec<_>>(), [Some(9), None]);
    }
}

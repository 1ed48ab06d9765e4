//! Per-partition progress, turned into the watermark rows that the query service reads for
//! `X-Experience-API-Consistent-Through`.

use crate::statements::rows::WatermarkRow;
use std::collections::BTreeMap;

/// What the processor knows about one assigned partition at the moment it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionState {
    pub partition: i32,
    /// Next offset this consumer will read (everything before it is written or in a pending batch).
    pub position: Option<i64>,
    /// End of the partition as last seen from the broker.
    pub high_watermark: Option<i64>,
}

#[derive(Debug, Default)]
pub struct Progress {
    /// Partition -> newest `stored` (epoch ms) written by this consumer.
    newest_written: BTreeMap<i32, i64>,
}

impl Progress {
    pub fn written(&mut self, newest_stored: &BTreeMap<i32, i64>) {
        for (p, ms) in newest_stored {
            let e = self.newest_written.entry(*p).or_insert(*ms);
            *e = (*e).max(*ms);
        }
    }

    pub fn forget(&mut self, partitions: &[i32]) {
        for p in partitions {
            self.newest_written.remove(p);
        }
    }

    /// Watermark rows for the partitions whose state is known. A partition that is read to its end with
    /// nothing pending is complete up to now (less `skew_ms`, which covers gateway clocks and in-flight
    /// produces); otherwise it is complete up to the newest statement written from it (less `skew_ms`).
    /// A partition about which nothing is known yet gets no row, so the previous owner's row stands.
    #[allow(clippy::too_many_arguments)]
    pub fn marks(
        &self,
        topic: &str,
        partition_count: i32,
        states: &[PartitionState],
        nothing_pending: bool,
        now_ms: i64,
        skew_ms: i64,
    ) -> Vec<WatermarkRow> {
        states
            .iter()
            .filter_map(|s| {
                let caught_up =
                    nothing_pending && matches!((s.position, s.high_watermark), (Some(pos), Some(high)) if pos >= high);
                let through = if caught_up { Some(now_ms) } else { self.newest_written.get(&s.partition).copied() }?;
                Some(WatermarkRow {
                    topic: topic.to_string(),
                    partition: s.partition,
                    partition_count,
                    next_offset: s.position.unwrap_or(-1),
                    through_ms: through - skew_ms,
                    observed_ms: now_ms,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(partition: i32, position: Option<i64>, high: Option<i64>) -> PartitionState {
        PartitionState { partition, position, high_watermark: high }
    }

    #[test]
    fn caught_up_partitions_are_complete_until_now() {
        let marks = Progress::default().marks("t", 2, &[state(0, Some(5), Some(5))], true, 10_000, 1000);
        assert_eq!(marks.len(), 1);
        assert_eq!(marks[0].through_ms, 9000);
        assert_eq!(marks[0].partition_count, 2);
    }

    #[test]
    fn lagging_partitions_are_complete_until_the_newest_written() {
        let mut p = Progress::default();
        p.written(&BTreeMap::from([(0, 4000)]));
        p.written(&BTreeMap::from([(0, 3000)]));
        let marks = p.marks("t", 1, &[state(0, Some(5), Some(9))], true, 10_000, 1000);
        assert_eq!(marks[0].through_ms, 3000);
        let pending = p.marks("t", 1, &[state(0, Some(9), Some(9))], false, 10_000, 1000);
        assert_eq!(pending[0].through_ms, 3000, "pending rows hold the partition back");
    }

    #[test]
    fn unknown_partitions_get_no_row() {
        let p = Progress::default();
        assert!(p.marks("t", 1, &[state(0, None, Some(9))], true, 10_000, 1000).is_empty());
        let mut p = Progress::default();
        p.written(&BTreeMap::from([(0, 4000)]));
        p.forget(&[0]);
        assert!(p.marks("t", 1, &[state(0, Some(1), Some(9))], true, 10_000, 1000).is_empty());
    }
}

//! A batch of rows on its way to ClickHouse, with the Kafka progress it represents: per partition, the next
//! offset to commit once the batch is written, and the newest `stored` time it contains.

use crate::transform::{Position, RecordRows};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_rows: usize,
    pub max_bytes: usize,
    pub max_wait: Duration,
}

#[derive(Debug, Default)]
pub struct Batch {
    /// The rows of each record, with the partition it came from.
    pub records: Vec<(i32, RecordRows)>,
    statements: usize,
    bytes: usize,
    /// Partition -> the offset after the last record this batch covers (what to commit once written).
    pub next_offsets: BTreeMap<i32, i64>,
    /// Partition -> the newest `stored` (epoch ms) among this batch's rows.
    pub newest_stored: BTreeMap<i32, i64>,
    started: Option<Instant>,
}

impl Batch {
    pub fn push(&mut self, rows: RecordRows, at: Position) {
        self.bytes += rows.bytes();
        self.statements += rows.statements.len();
        if let Some(newest) = rows.statements.iter().map(|s| s.stored_ms).max() {
            let stored = self.newest_stored.entry(at.partition).or_insert(newest);
            *stored = (*stored).max(newest);
        }
        self.records.push((at.partition, rows));
        self.advance(at);
    }

    /// Covers a record that produced no row (it went to the dead-letter topic).
    pub fn skip(&mut self, at: Position) {
        self.advance(at);
    }

    fn advance(&mut self, at: Position) {
        self.started.get_or_insert_with(Instant::now);
        let next = self.next_offsets.entry(at.partition).or_insert(at.offset + 1);
        *next = (*next).max(at.offset + 1);
    }

    pub fn is_empty(&self) -> bool {
        self.next_offsets.is_empty()
    }

    /// Statements in the batch.
    pub fn len(&self) -> usize {
        self.statements
    }

    pub fn is_full(&self, limits: &Limits) -> bool {
        self.statements >= limits.max_rows || self.bytes >= limits.max_bytes
    }

    /// When this batch must be written even if it is not full.
    pub fn deadline(&self, limits: &Limits) -> Option<Instant> {
        self.started.map(|s| s + limits.max_wait)
    }

    pub fn take(&mut self) -> Batch {
        std::mem::take(self)
    }

    /// Forgets what came from partitions this consumer no longer owns: their new owner re-reads them from
    /// the last committed offset, and writes are idempotent, so nothing is lost by dropping them here.
    pub fn drop_partitions(&mut self, revoked: &[i32]) {
        self.records.retain(|(p, _)| !revoked.contains(p));
        for p in revoked {
            self.next_offsets.remove(p);
            self.newest_stored.remove(p);
        }
        self.bytes = self.records.iter().map(|(_, r)| r.bytes()).sum();
        self.statements = self.records.iter().map(|(_, r)| r.statements.len()).sum();
        if self.next_offsets.is_empty() {
            self.started = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(_partition: i32, offset: i64, stored_ms: i64) -> RecordRows {
        let mut rows = RecordRows::default();
        rows.statements.push(crate::clickhouse::rows::StatementRow {
            store: "s".into(),
            id: uuid::Uuid::new_v4(),
            ver: u64::MAX - offset as u64,
            stored_ms,
            timestamp_ms: stored_ms,
            verb_id: String::new(),
            actor_key: String::new(),
            object_type: "Activity".into(),
            object_id: String::new(),
            registration: uuid::Uuid::nil(),
            voided_id: uuid::Uuid::nil(),
            version: "1.0.0".into(),
            raw: "{}".into(),
            kafka_partition: 0,
            kafka_offset: offset,
            written_ms: 0,
            fingerprint: 0,
        });
        rows
    }

    fn limits() -> Limits {
        Limits { max_rows: 3, max_bytes: 1 << 20, max_wait: Duration::from_millis(50) }
    }

    #[test]
    fn tracks_next_offsets_and_newest_stored() {
        let mut b = Batch::default();
        b.push(row(0, 10, 100), Position { partition: 0, offset: 10 });
        b.push(row(0, 11, 90), Position { partition: 0, offset: 11 });
        b.skip(Position { partition: 1, offset: 5 });
        assert_eq!(b.next_offsets, BTreeMap::from([(0, 12), (1, 6)]));
        assert_eq!(b.newest_stored, BTreeMap::from([(0, 100)]));
        assert_eq!(b.len(), 2);
        assert!(!b.is_full(&limits()));
        b.push(row(1, 6, 1), Position { partition: 1, offset: 6 });
        assert!(b.is_full(&limits()));
    }

    #[test]
    fn deadline_starts_with_the_first_record() {
        let mut b = Batch::default();
        assert!(b.deadline(&limits()).is_none());
        b.skip(Position { partition: 0, offset: 0 });
        assert!(b.deadline(&limits()).is_some());
        let taken = b.take();
        assert!(b.is_empty() && !taken.is_empty());
    }

    #[test]
    fn revoked_partitions_are_forgotten() {
        let mut b = Batch::default();
        b.push(row(0, 1, 1), Position { partition: 0, offset: 1 });
        b.push(row(1, 1, 1), Position { partition: 1, offset: 1 });
        b.drop_partitions(&[1]);
        assert_eq!(b.len(), 1);
        assert_eq!(b.next_offsets.keys().copied().collect::<Vec<_>>(), vec![0]);
        b.drop_partitions(&[0]);
        assert!(b.is_empty() && b.deadline(&limits()).is_none());
    }
}

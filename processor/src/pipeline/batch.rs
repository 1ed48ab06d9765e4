//! A batch on its way to the writer, with the Kafka progress it stands for: per partition, the next offset
//! to commit once the batch is written, and the newest `stored` time it contains.

use super::Record;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_rows: usize,
    pub max_bytes: usize,
    /// A batch is written at the latest this long after its first record...
    pub max_wait: Duration,
    /// ...or once no record arrived for this long (the partitions are drained): a quiet LRS writes at once.
    pub idle: Duration,
}

impl Limits {
    /// The configured limits (`LRS_BATCH_*`), which the statements and analytics pipelines share.
    pub fn from_settings(settings: &lrs_common::Settings) -> Self {
        Limits {
            max_rows: settings.batch_max_rows,
            max_bytes: settings.batch_max_bytes,
            max_wait: settings.batch_max_wait,
            idle: settings.batch_idle,
        }
    }
}

impl Limits {
    /// The analytics stage's limits: the shared row and byte bounds, its own (longer) window; it still writes
    /// as soon as its partitions have been quiet for a fifth of that window.
    pub fn for_analytics(settings: &lrs_common::Settings) -> Self {
        let wait = settings.analytics_batch_wait;
        Limits { max_wait: wait, idle: (wait / 5).max(settings.batch_idle), ..Limits::from_settings(settings) }
    }
}

/// One entry of a batch: the item a record became, or the record itself when it could not be decoded.
#[derive(Debug)]
pub enum Entry<T> {
    Item(T),
    Dead { record: Record, kind: &'static str, reason: String },
}

#[derive(Debug)]
pub struct Batch<T> {
    pub entries: Vec<(i32, Entry<T>)>,
    rows: usize,
    bytes: usize,
    /// Partition -> the offset after the last record this batch covers (what to commit once written).
    pub next_offsets: BTreeMap<i32, i64>,
    /// Partition -> the newest `stored` (epoch ms) among this batch's items.
    pub newest_ms: BTreeMap<i32, i64>,
    started: Option<Instant>,
    last: Option<Instant>,
}

impl<T> Default for Batch<T> {
    fn default() -> Self {
        Batch {
            entries: Vec::new(),
            rows: 0,
            bytes: 0,
            next_offsets: BTreeMap::new(),
            newest_ms: BTreeMap::new(),
            started: None,
            last: None,
        }
    }
}

impl<T> Batch<T> {
    /// Adds an entry for the record at (`partition`, `offset`), weighing (`rows`, `bytes`).
    pub fn push(&mut self, partition: i32, offset: i64, entry: Entry<T>, weight: (usize, usize), newest: Option<i64>) {
        self.rows += weight.0;
        self.bytes += weight.1;
        if let Some(ms) = newest {
            let e = self.newest_ms.entry(partition).or_insert(ms);
            *e = (*e).max(ms);
        }
        let next = self.next_offsets.entry(partition).or_insert(offset + 1);
        *next = (*next).max(offset + 1);
        let now = Instant::now();
        self.started.get_or_insert(now);
        self.last = Some(now);
        self.entries.push((partition, entry));
    }

    pub fn is_empty(&self) -> bool {
        self.next_offsets.is_empty()
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn is_full(&self, limits: &Limits) -> bool {
        self.rows >= limits.max_rows || self.bytes >= limits.max_bytes
    }

    /// When this batch must be written even if it is not full.
    pub fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let started = self.started?;
        let last = self.last.unwrap_or(started);
        Some((started + limits.max_wait).min(last + limits.idle))
    }

    pub fn take(&mut self) -> Batch<T> {
        std::mem::take(self)
    }

    /// Forgets what came from partitions this consumer no longer owns: their new owner reads them again from
    /// the last committed offset.
    pub fn drop_partitions(&mut self, revoked: &[i32], weigh: impl Fn(&Entry<T>) -> (usize, usize)) {
        self.entries.retain(|(p, _)| !revoked.contains(p));
        for p in revoked {
            self.next_offsets.remove(p);
            self.newest_ms.remove(p);
        }
        let (rows, bytes) = self.entries.iter().map(|(_, e)| weigh(e)).fold((0, 0), |a, w| (a.0 + w.0, a.1 + w.1));
        self.rows = rows;
        self.bytes = bytes;
        if self.next_offsets.is_empty() {
            self.started = None;
            self.last = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits { max_rows: 3, max_bytes: 1 << 20, max_wait: Duration::from_millis(50), idle: Duration::from_millis(5) }
    }

    fn item(b: &mut Batch<u32>, p: i32, o: i64, ms: i64) {
        b.push(p, o, Entry::Item(1), (1, 10), Some(ms));
    }

    #[test]
    fn tracks_next_offsets_and_newest_stored() {
        let mut b = Batch::default();
        item(&mut b, 0, 10, 100);
        item(&mut b, 0, 11, 90);
        let dead = Record { topic: "t".into(), partition: 1, offset: 5, key: None, payload: None, headers: vec![] };
        b.push(1, 5, Entry::Dead { record: dead, kind: "x", reason: "y".into() }, (0, 0), None);
        assert_eq!(b.next_offsets, BTreeMap::from([(0, 12), (1, 6)]));
        assert_eq!(b.newest_ms, BTreeMap::from([(0, 100)]));
        assert_eq!(b.rows(), 2);
        assert!(!b.is_full(&limits()));
        item(&mut b, 1, 6, 1);
        assert!(b.is_full(&limits()));
    }

    #[test]
    fn deadline_is_the_earlier_of_age_and_quiet() {
        let mut b: Batch<u32> = Batch::default();
        assert!(b.deadline(&limits()).is_none());
        item(&mut b, 0, 0, 0);
        let d = b.deadline(&limits()).unwrap();
        assert!(d <= Instant::now() + Duration::from_millis(5));
        let taken = b.take();
        assert!(b.is_empty() && !taken.is_empty());
    }

    #[test]
    fn revoked_partitions_are_forgotten() {
        let mut b = Batch::default();
        item(&mut b, 0, 1, 1);
        item(&mut b, 1, 1, 1);
        b.drop_partitions(&[1], |_| (1, 10));
        assert_eq!(b.rows(), 1);
        assert_eq!(b.next_offsets.keys().copied().collect::<Vec<_>>(), vec![0]);
        b.drop_partitions(&[0], |_| (1, 10));
        assert!(b.is_empty() && b.deadline(&limits()).is_none());
    }
}

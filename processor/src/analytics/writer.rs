//! Writes a batch of fact messages: reads the ledger rows of the batch's ids, decides, appends the decisions.
//! Every attempt decides again from what is stored, so an attempt whose insert landed but whose answer was
//! lost (or a batch redelivered after a crash) appends nothing twice.
//!
//! Reading the ledger for every id of every batch would scan more of it as it grows (ids are random, so a
//! batch touches every granule): a Bloom filter of the ids the ledger holds answers "certainly new" for fresh
//! ids, and only the others (resends, redeliveries, voids, 1 in 10,000 false positives) are read. The filter
//! is rebuilt from the ledger whenever partitions are assigned, since the ids a newly assigned partition
//! brings were decided by another processor; between assignments, this stage is the only writer of the ids
//! its partitions carry, and it adds them as it writes.

use super::ledger::{decide, FactRow};
use super::message::FactMessage;
use crate::clickhouse::insert_rows;
use crate::pipeline::{WriteError, Writer};
use futures::future::BoxFuture;
use lrs_common::clickhouse::{uuid_in_list, Db};
use lrs_common::id_filter::IdFilter;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

const COLUMNS: &str = "store, id, ver, sign, timestamp_ms, stored_ms, verb, activity, activity_type, actor, \
                       registration, platform, parents, groupings, score, has_score, success, completion, \
                       duration_ms, has_duration";

/// The filter and the assignment it was built for.
struct Known {
    filter: Arc<IdFilter>,
    generation: u64,
}

pub struct FactWriter {
    db: Db,
    assignments: Arc<AtomicU64>,
    known: Mutex<Option<Known>>,
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct StoreId {
    store: String,
    #[serde(with = "clickhouse::serde::uuid")]
    id: Uuid,
}

impl FactWriter {
    pub fn new(db: Db) -> Self {
        FactWriter { db, assignments: Arc::new(AtomicU64::new(0)), known: Mutex::new(None) }
    }

    /// The filter for the current assignment, built from the ledger if it is not yet.
    async fn filter(&self) -> Result<Arc<IdFilter>, WriteError> {
        let generation = self.assignments.load(Ordering::SeqCst);
        if let Some(k) = &*self.known.lock().unwrap_or_else(|e| e.into_inner()) {
            if k.generation == generation {
                return Ok(k.filter.clone());
            }
        }
        let started = std::time::Instant::now();
        let count: u64 = self.db.query("SELECT count() FROM analytics_facts").fetch_one().await?;
        let filter = Arc::new(IdFilter::new(count.max(1_000_000) * 2));
        // Streamed: the ledger's ids need not fit in memory at once, only their filter.
        let mut rows = self.db.query("SELECT store, id FROM analytics_facts").fetch::<StoreId>()?;
        while let Some(row) = rows.next().await? {
            filter.insert(&row.store, row.id);
        }
        filter.set_ready();
        tracing::info!(
            ids = filter.len(),
            took_ms = started.elapsed().as_millis() as u64,
            "analytics ledger filter built"
        );
        *self.known.lock().unwrap_or_else(|e| e.into_inner()) = Some(Known { filter: filter.clone(), generation });
        Ok(filter)
    }

    async fn ledger(&self, messages: &[FactMessage], filter: &IdFilter) -> Result<Vec<FactRow>, WriteError> {
        let mut by_store: BTreeMap<&str, Vec<Uuid>> = BTreeMap::new();
        for m in messages.iter().filter(|m| filter.may_contain(&m.store, m.id)) {
            by_store.entry(m.store.as_str()).or_default().push(m.id);
        }
        let mut rows = Vec::new();
        for (store, mut ids) in by_store {
            ids.sort_unstable();
            ids.dedup();
            let sql =
                format!("SELECT {COLUMNS} FROM analytics_facts WHERE store = ? AND id IN ({})", uuid_in_list(&ids));
            rows.extend(self.db.query(&sql).bind(store).fetch_all::<FactRow>().await?);
        }
        Ok(rows)
    }
}

impl Writer for FactWriter {
    type Item = FactMessage;
    type Work = Vec<FactMessage>;

    fn prepare(&self, messages: Vec<FactMessage>) -> Vec<FactMessage> {
        messages
    }

    fn write<'a>(&'a self, messages: &'a mut Vec<FactMessage>) -> BoxFuture<'a, Result<(), WriteError>> {
        Box::pin(async move {
            if messages.is_empty() {
                return Ok(());
            }
            let filter = self.filter().await?;
            let existing = self.ledger(messages, &filter).await?;
            let rows = decide(existing, messages);
            // Before the insert: an insert that fails after ClickHouse wrote some of it is retried, and the
            // retry must read these ids back from the ledger (and decide nothing twice) rather than take them
            // for certainly new.
            for row in &rows {
                filter.insert(&row.store, row.id);
            }
            insert_rows(&self.db, "analytics_facts", &rows).await?;
            Ok(())
        })
    }

    fn assignments(&self) -> Option<Arc<AtomicU64>> {
        Some(self.assignments.clone())
    }
}

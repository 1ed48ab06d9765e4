//! Writes a batch of fact messages: reads the ledger rows of the batch's ids, decides, appends the decisions.
//! Every attempt decides again from what is stored, so an attempt whose insert landed but whose answer was
//! lost (or a batch redelivered after a crash) appends nothing twice.

use super::ledger::{decide, FactRow};
use super::message::FactMessage;
use crate::clickhouse::insert_rows;
use crate::pipeline::{WriteError, Writer};
use futures::future::BoxFuture;
use lrs_common::clickhouse::{uuid_in_list, Db};
use std::collections::BTreeMap;
use uuid::Uuid;

const COLUMNS: &str = "store, id, ver, sign, timestamp_ms, stored_ms, verb, activity, activity_type, actor, \
                       registration, platform, parents, groupings, score, has_score, success, completion, \
                       duration_ms, has_duration";

pub struct FactWriter {
    db: Db,
}

impl FactWriter {
    pub fn new(db: Db) -> Self {
        FactWriter { db }
    }

    async fn ledger(&self, messages: &[FactMessage]) -> Result<Vec<FactRow>, WriteError> {
        let mut by_store: BTreeMap<&str, Vec<Uuid>> = BTreeMap::new();
        for m in messages {
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
            let existing = self.ledger(messages).await?;
            let rows = decide(existing, messages);
            insert_rows(&self.db, "analytics_facts", &rows).await?;
            Ok(())
        })
    }
}

//! ClickHouse side of the documents consumer: loading the documents a batch touches (one query) and
//! storing the versions and outcomes it produced.

use super::apply::{Applied, Current, Incoming};
use super::rows::DocumentRow;
use crate::clickhouse::insert_rows;
use lrs_common::clickhouse::{Db, DbError};
use std::collections::{BTreeMap, BTreeSet};
use xapi::document::{DocKey, Document, Kind, Op};

pub struct DocumentStore {
    db: Db,
}

/// One filter of the load query: a document (doc_id set), or every state of a scope (delete-all), as it
/// was before version `bound`.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Filter<'a> {
    store: &'a str,
    kind: &'static str,
    activity_id: &'a str,
    agent_key: &'a str,
    registration: Option<&'a str>,
    doc_id: Option<&'a str>,
    bound: u64,
}

impl DocumentStore {
    pub fn new(db: Db) -> Self {
        DocumentStore { db }
    }

    /// The live documents the batch can touch, as they were before the batch's first command of their
    /// partition: versions written by this batch's commands in an earlier, interrupted attempt are ignored,
    /// so applying the batch again decides exactly as the first time.
    pub async fn load(&self, batch: &[Incoming]) -> Result<Current, DbError> {
        let mut bounds: BTreeMap<i32, i64> = BTreeMap::new();
        for inc in batch {
            let b = bounds.entry(inc.partition).or_insert(inc.offset);
            *b = (*b).min(inc.offset);
        }
        let filters: BTreeSet<Filter> = batch
            .iter()
            .map(|inc| {
                let key = &inc.command.key;
                let all = inc.command.op == Op::DeleteAll;
                Filter {
                    store: &inc.store,
                    kind: key.kind.as_str(),
                    activity_id: &key.activity_id,
                    agent_key: &key.agent_key,
                    registration: (!all || !key.registration.is_empty()).then_some(key.registration.as_str()),
                    doc_id: (!all).then_some(key.doc_id.as_str()),
                    bound: bounds.get(&inc.partition).copied().unwrap_or(0).max(0) as u64,
                }
            })
            .collect();
        if filters.is_empty() {
            return Ok(Current::new());
        }
        let mut conditions = Vec::with_capacity(filters.len());
        for f in &filters {
            let mut c = String::from("(store = ? AND kind = ? AND activity_id = ? AND agent_key = ?");
            if f.registration.is_some() {
                c.push_str(" AND registration = ?");
            }
            if f.doc_id.is_some() {
                c.push_str(" AND doc_id = ?");
            }
            c.push_str(" AND ver < ?)");
            conditions.push(c);
        }
        let sql = format!(
            "SELECT ?fields FROM documents WHERE {} ORDER BY ver DESC \
             LIMIT 1 BY store, kind, activity_id, agent_key, registration, doc_id",
            conditions.join(" OR ")
        );
        let mut query = self.db.query(&sql);
        for f in &filters {
            query = query.bind(f.store).bind(f.kind).bind(f.activity_id).bind(f.agent_key);
            if let Some(r) = f.registration {
                query = query.bind(r);
            }
            if let Some(d) = f.doc_id {
                query = query.bind(d);
            }
            query = query.bind(f.bound);
        }
        let rows: Vec<DocumentRow> = query.fetch_all().await?;
        let mut current = Current::new();
        for r in rows.into_iter().filter(|r| r.deleted == 0) {
            let Some(kind) = kind_of(&r.kind) else { continue };
            let key = DocKey {
                kind,
                activity_id: r.activity_id,
                agent_key: r.agent_key,
                registration: r.registration,
                doc_id: r.doc_id,
            };
            let doc =
                Document { content_type: r.content_type, content: r.content, etag: r.etag, updated_ms: r.updated_ms };
            current.insert((r.store, key), doc);
        }
        Ok(current)
    }

    /// Stores the versions, then the outcomes (so a visible outcome implies visible documents).
    pub async fn write(&self, applied: &Applied) -> Result<(), DbError> {
        insert_rows(&self.db, "documents", &applied.documents).await?;
        insert_rows(&self.db, "document_outcomes", &applied.outcomes).await
    }
}

fn kind_of(s: &str) -> Option<Kind> {
    [Kind::State, Kind::ActivityProfile, Kind::AgentProfile].into_iter().find(|k| k.as_str() == s)
}

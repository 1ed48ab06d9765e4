//! Writing a batch of statement records: merge their rows (one row per activity definition and agent per
//! batch), link StatementRefs against the batch and the store, insert every table, then look for partners
//! again (a referrer and its target written at the same moment by two processors each miss the other in the
//! first lookup; of two write-then-read sequences at least one read sees the other's write, so the pair is
//! linked by one of them). Last, the ids written are published to the statement-id log (gateways tail it
//! for the 409 check). The batch is committed only after all of it, so a crash repeats it whole.

use super::refs::via_rows;
use super::rows::RecordRows;
use super::transform::dedup_by;
use crate::analytics::FactMessage;
use crate::clickhouse::RowSink;
use crate::pipeline::{WriteError, Writer};
use futures::future::BoxFuture;
use lrs_common::kafka::idlog::{self, WrittenId};
use lrs_common::kafka::{self, Publisher, STORE_HEADER};
use rdkafka::message::{Header, OwnedHeaders};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// Where written statements are announced: their ids (gateways tail them for the 409 check) and, when
/// analytics are on, their facts (keyed by the id they concern, for the analytics stage).
pub struct Logs {
    pub publisher: Publisher,
    pub ids_topic: String,
    pub facts_topic: Option<String>,
}

pub struct StatementWriter {
    sink: Arc<dyn RowSink>,
    logs: Option<Logs>,
}

impl StatementWriter {
    pub fn new(sink: Arc<dyn RowSink>, logs: Option<Logs>) -> Self {
        StatementWriter { sink, logs }
    }
}

/// A batch's rows and how far writing them got (attempts repeat only what did not finish).
pub struct Work {
    tables: RecordRows,
    linked: bool,
    written: bool,
    announced: bool,
    told: bool,
}

impl Writer for StatementWriter {
    type Item = RecordRows;
    type Work = Work;

    fn prepare(&self, records: Vec<RecordRows>) -> Work {
        let mut tables = RecordRows::default();
        for rows in records {
            tables.extend(rows);
        }
        dedup_by(&mut tables.activities, |a| (a.store.clone(), a.activity_id.clone(), a.definition_hash));
        dedup_by(&mut tables.agents, |a| (a.store.clone(), a.key.clone(), a.agent.clone()));
        Work { tables, linked: false, written: false, announced: false, told: false }
    }

    fn write<'a>(&'a self, work: &'a mut Work) -> BoxFuture<'a, Result<(), WriteError>> {
        Box::pin(async move {
            let sink = &*self.sink;
            if work.tables.statements.is_empty() {
                return Ok(());
            }
            if !work.linked {
                let via = via_rows(&work.tables.statements, &work.tables.refs, sink).await?;
                work.tables.index.extend(via);
                work.linked = true;
            }
            if !work.written {
                sink.write_tables(&work.tables).await?;
                work.written = true;
            }
            let again = via_rows(&work.tables.statements, &work.tables.refs, sink).await?;
            let known: HashSet<_> = work.tables.index.iter().map(|r| (r.dim, &r.key, r.id, r.via)).collect();
            let late: Vec<_> = again.into_iter().filter(|r| !known.contains(&(r.dim, &r.key, r.id, r.via))).collect();
            if !late.is_empty() {
                tracing::info!(rows = late.len(), "statement references linked after a concurrent write");
                sink.write_tables(&RecordRows { index: late, ..RecordRows::default() }).await?;
            }
            if let (Some(logs), false) = (&self.logs, work.announced) {
                announce(logs, &work.tables).await?;
                work.announced = true;
            }
            if let (Some(logs), false) = (&self.logs, work.told) {
                if let Some(topic) = &logs.facts_topic {
                    tell_facts(&logs.publisher, topic, &work.tables.facts).await?;
                }
                work.told = true;
            }
            Ok(())
        })
    }
}

/// One id-log record per store of the batch.
async fn announce(log: &Logs, tables: &RecordRows) -> Result<(), WriteError> {
    let mut by_store: BTreeMap<&str, Vec<WrittenId>> = BTreeMap::new();
    for s in &tables.statements {
        by_store.entry(s.store.as_str()).or_default().push(WrittenId {
            id: s.id,
            fingerprint: s.fingerprint,
            timestamp_ms: s.timestamp_ms,
        });
    }
    for (store, ids) in by_store {
        let payload = idlog::encode(&ids);
        let headers = OwnedHeaders::new().insert(Header { key: STORE_HEADER, value: Some(store) });
        log.publisher
            .send(kafka::Record {
                topic: &log.ids_topic,
                key: Some(store.as_bytes()),
                partition: None,
                payload: &payload,
                headers,
            })
            .await?;
    }
    Ok(())
}

/// One record per fact, keyed by the id it concerns, sent concurrently (the producer batches them).
async fn tell_facts(publisher: &Publisher, topic: &str, facts: &[FactMessage]) -> Result<(), WriteError> {
    // A fact has no map with non-string keys, so it always serializes; were one not to, it is logged and left
    // out rather than published empty.
    let encoded: Vec<(&FactMessage, String, Vec<u8>)> = facts
        .iter()
        .filter_map(|f| match serde_json::to_vec(f) {
            Ok(payload) => Some((f, format!("{}/{}", f.store, f.id.hyphenated()), payload)),
            Err(e) => {
                tracing::error!(id = %f.id, error = %e, "fact not serializable; left out of analytics");
                None
            }
        })
        .collect();
    let sends = encoded.iter().map(|(f, key, payload)| {
        let headers = OwnedHeaders::new().insert(Header { key: STORE_HEADER, value: Some(f.store.as_str()) });
        publisher.send(kafka::Record { topic, key: Some(key.as_bytes()), partition: None, payload, headers })
    });
    futures::future::try_join_all(sends).await?;
    Ok(())
}

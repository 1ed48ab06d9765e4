//! Writing a batch of statement records: merge their rows (one row per activity definition and agent per
//! batch), link StatementRefs against the batch and the store, insert every table, then look for partners
//! again (a referrer and its target written at the same moment by two processors each miss the other in the
//! first lookup; of two write-then-read sequences at least one read sees the other's write, so the pair is
//! linked by one of them). The batch is committed only after all of it, so a crash repeats it whole.

use super::refs::via_rows;
use super::rows::RecordRows;
use super::transform::dedup_by;
use crate::clickhouse::RowSink;
use crate::pipeline::{WriteError, Writer};
use futures::future::BoxFuture;
use std::collections::HashSet;
use std::sync::Arc;

pub struct StatementWriter {
    sink: Arc<dyn RowSink>,
}

impl StatementWriter {
    pub fn new(sink: Arc<dyn RowSink>) -> Self {
        StatementWriter { sink }
    }
}

/// A batch's rows and how far writing them got (attempts repeat only what did not finish).
pub struct Work {
    tables: RecordRows,
    linked: bool,
    written: bool,
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
        Work { tables, linked: false, written: false }
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
            Ok(())
        })
    }
}

use crate::metrics::{INSERT_BATCHES, INSERT_ERRORS, INSERT_LATENCY, INSERT_ROWS};
use crate::statements::rows::{RecordRows, RefRow, WatermarkRow};
use futures::future::BoxFuture;
use lrs_common::clickhouse::{winner, Db, DbError};
use std::time::Instant;
use uuid::Uuid;

/// Where the statement writer's rows go, and the reads it needs to link StatementRefs. A write of a batch's
/// tables either succeeds or is retried whole: every row is idempotent.
pub trait RowSink: Send + Sync + 'static {
    fn write_tables<'a>(&'a self, tables: &'a RecordRows) -> BoxFuture<'a, Result<(), DbError>>;
    fn write_watermarks<'a>(&'a self, rows: &'a [WatermarkRow]) -> BoxFuture<'a, Result<(), DbError>>;
    /// The stored JSON of the winning copy of each of `ids` that exists.
    fn statements_by_id<'a>(
        &'a self,
        store: &'a str,
        ids: &'a [Uuid],
    ) -> BoxFuture<'a, Result<Vec<(Uuid, String)>, DbError>>;
    /// Stored statements whose object is a StatementRef to one of `targets`.
    fn referrers_of<'a>(&'a self, store: &'a str, targets: &'a [Uuid]) -> BoxFuture<'a, Result<Vec<RefRow>, DbError>>;
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct IdRaw {
    #[serde(with = "clickhouse::serde::uuid")]
    id: Uuid,
    raw: String,
}

pub struct ClickHouseSink {
    db: Db,
}

impl ClickHouseSink {
    /// `db` bounds each insert (the settings' insert timeout).
    pub fn new(db: Db) -> Self {
        ClickHouseSink { db }
    }
}

/// One INSERT of `rows` into `table`, counted in the insert metrics. Every processor write goes through
/// here (statements, their tables, documents, watermarks).
pub async fn insert_rows<T>(db: &Db, table: &'static str, rows: &[T]) -> Result<(), DbError>
where
    T: clickhouse::RowOwned + clickhouse::RowWrite + Send + Sync,
{
    if rows.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let result = db.insert(table, rows).await;
    INSERT_LATENCY.with_label_values(&[table]).observe(started.elapsed().as_secs_f64());
    match &result {
        Ok(()) => {
            INSERT_BATCHES.with_label_values(&[table, "ok"]).inc();
            INSERT_ROWS.with_label_values(&[table]).inc_by(rows.len() as u64);
        }
        Err(e) => {
            INSERT_BATCHES.with_label_values(&[table, e.kind()]).inc();
            INSERT_ERRORS.with_label_values(&[table]).inc();
        }
    }
    result
}

impl RowSink for ClickHouseSink {
    /// The tables a statement implies are written together; the statements table last: a statement row
    /// present means everything it implies (index, voids, attachments) is written, which the lists (index
    /// first, then statements) rely on.
    fn write_tables<'a>(&'a self, t: &'a RecordRows) -> BoxFuture<'a, Result<(), DbError>> {
        Box::pin(async move {
            let db = &self.db;
            futures::try_join!(
                insert_rows(db, "attachments", &t.attachments),
                insert_rows(db, "activities", &t.activities),
                insert_rows(db, "agents", &t.agents),
                insert_rows(db, "statement_refs", &t.refs),
                insert_rows(db, "voids", &t.voids),
                insert_rows(db, "statement_index", &t.index),
            )?;
            insert_rows(db, "statements", &t.statements).await
        })
    }

    fn statements_by_id<'a>(
        &'a self,
        store: &'a str,
        ids: &'a [Uuid],
    ) -> BoxFuture<'a, Result<Vec<(Uuid, String)>, DbError>> {
        Box::pin(async move {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let rows = self.db.query(&winner::latest_sql(&["raw"], ids)).bind(store).fetch_all::<IdRaw>().await?;
            Ok(rows.into_iter().map(|r| (r.id, r.raw)).collect())
        })
    }

    fn referrers_of<'a>(&'a self, store: &'a str, targets: &'a [Uuid]) -> BoxFuture<'a, Result<Vec<RefRow>, DbError>> {
        Box::pin(async move {
            if targets.is_empty() {
                return Ok(Vec::new());
            }
            // Most stores hold few or no StatementRefs: a cheap count spares them the id lookup.
            let refs: u64 =
                self.db.query("SELECT count() FROM statement_refs WHERE store = ?").bind(store).fetch_one().await?;
            if refs == 0 {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT store, target, referrer, referrer_stored_ms, referrer_ver, referrer_voiding FROM statement_refs \
                 WHERE store = ? AND target IN ({})",
                lrs_common::clickhouse::uuid_in_list(targets)
            );
            self.db.query(&sql).bind(store).fetch_all::<RefRow>().await
        })
    }

    fn write_watermarks<'a>(&'a self, rows: &'a [WatermarkRow]) -> BoxFuture<'a, Result<(), DbError>> {
        Box::pin(insert_rows(&self.db, "partition_watermarks", rows))
    }
}

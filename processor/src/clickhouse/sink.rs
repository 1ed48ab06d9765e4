use super::rows::{RefRow, WatermarkRow};
use crate::metrics::{INSERT_BATCHES, INSERT_ERRORS, INSERT_LATENCY, INSERT_ROWS};
use crate::transform::RecordRows;
use futures::future::BoxFuture;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("clickhouse: {0}")]
    ClickHouse(#[from] clickhouse::error::Error),
    #[error("insert timed out after {0:?}")]
    Timeout(Duration),
}

impl SinkError {
    /// TOO_MANY_PARTS (code 252) means "slow down", not "broken": retried like any error, but logged as such.
    pub fn is_backpressure(&self) -> bool {
        let text = self.to_string();
        text.contains("TOO_MANY_PARTS") || text.contains("Code: 252")
    }
}

/// Where the processor's rows go, and the reads it needs to link StatementRefs. A write of a batch's tables
/// either succeeds or is retried whole: every row is idempotent.
pub trait RowSink: Send + Sync + 'static {
    fn write_tables<'a>(&'a self, tables: &'a RecordRows) -> BoxFuture<'a, Result<(), SinkError>>;
    fn write_watermarks<'a>(&'a self, rows: &'a [WatermarkRow]) -> BoxFuture<'a, Result<(), SinkError>>;
    /// The stored JSON of the winning copy of each of `ids` that exists.
    fn statements_by_id<'a>(
        &'a self,
        store: &'a str,
        ids: &'a [Uuid],
    ) -> BoxFuture<'a, Result<Vec<(Uuid, String)>, SinkError>>;
    /// Stored statements whose object is a StatementRef to one of `targets`.
    fn referrers_of<'a>(&'a self, store: &'a str, targets: &'a [Uuid])
        -> BoxFuture<'a, Result<Vec<RefRow>, SinkError>>;
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct IdRaw {
    #[serde(with = "clickhouse::serde::uuid")]
    id: Uuid,
    raw: String,
}

pub struct ClickHouseSink {
    client: clickhouse::Client,
    timeout: Duration,
}

impl ClickHouseSink {
    pub fn new(client: clickhouse::Client) -> Self {
        ClickHouseSink { client, timeout: Duration::from_secs(60) }
    }

    async fn insert<T>(&self, table: &'static str, rows: &[T]) -> Result<(), SinkError>
    where
        T: clickhouse::RowOwned + clickhouse::RowWrite + Send + Sync,
    {
        insert_rows(&self.client, table, rows, self.timeout).await
    }
}

/// One INSERT of `rows` into `table`, bounded by `timeout`, counted in the insert metrics. Every processor
/// write goes through here (statements, their tables, documents).
pub async fn insert_rows<T>(
    client: &clickhouse::Client,
    table: &'static str,
    rows: &[T],
    timeout: Duration,
) -> Result<(), SinkError>
where
    T: clickhouse::RowOwned + clickhouse::RowWrite + Send + Sync,
{
    let started = Instant::now();
    let write = async {
        let mut insert = client.insert::<T>(table).await?;
        for row in rows {
            insert.write(row).await?;
        }
        insert.end().await?;
        Ok::<_, SinkError>(())
    };
    let result = match tokio::time::timeout(timeout, write).await {
        Ok(r) => r,
        Err(_) => Err(SinkError::Timeout(timeout)),
    };
    INSERT_LATENCY.with_label_values(&[table]).observe(started.elapsed().as_secs_f64());
    match &result {
        Ok(()) => {
            INSERT_BATCHES.with_label_values(&[table, "ok"]).inc();
            INSERT_ROWS.with_label_values(&[table]).inc_by(rows.len() as u64);
        }
        Err(_) => {
            INSERT_BATCHES.with_label_values(&[table, "error"]).inc();
            INSERT_ERRORS.with_label_values(&[table]).inc();
        }
    }
    result
}

impl RowSink for ClickHouseSink {
    /// Statements go last: a statement row present means everything it implies (index, voids, attachments) is
    /// written, which is what the visible acknowledgement mode and the lists (index first, then statements)
    /// rely on.
    fn write_tables<'a>(&'a self, t: &'a RecordRows) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            if !t.attachments.is_empty() {
                self.insert("attachments", &t.attachments).await?;
            }
            if !t.activities.is_empty() {
                self.insert("activities", &t.activities).await?;
            }
            if !t.agents.is_empty() {
                self.insert("agents", &t.agents).await?;
            }
            if !t.refs.is_empty() {
                self.insert("statement_refs", &t.refs).await?;
            }
            if !t.voids.is_empty() {
                self.insert("voids", &t.voids).await?;
            }
            if !t.index.is_empty() {
                self.insert("statement_index", &t.index).await?;
            }
            if !t.statements.is_empty() {
                self.insert("statements", &t.statements).await?;
            }
            Ok(())
        })
    }

    fn statements_by_id<'a>(
        &'a self,
        store: &'a str,
        ids: &'a [Uuid],
    ) -> BoxFuture<'a, Result<Vec<(Uuid, String)>, SinkError>> {
        Box::pin(async move {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT id, argMax(raw, ver) AS raw FROM statements WHERE store = ? AND id IN ({}) GROUP BY id",
                lrs_common::clickhouse::uuid_in_list(ids)
            );
            let rows = self.client.query(&sql).bind(store).fetch_all::<IdRaw>().await?;
            Ok(rows.into_iter().map(|r| (r.id, r.raw)).collect())
        })
    }

    fn referrers_of<'a>(
        &'a self,
        store: &'a str,
        targets: &'a [Uuid],
    ) -> BoxFuture<'a, Result<Vec<RefRow>, SinkError>> {
        Box::pin(async move {
            if targets.is_empty() {
                return Ok(Vec::new());
            }
            // Most stores hold few or no StatementRefs: a cheap count spares them the id lookup.
            let refs: u64 =
                self.client.query("SELECT count() FROM statement_refs WHERE store = ?").bind(store).fetch_one().await?;
            if refs == 0 {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT store, target, referrer, referrer_stored_ms, referrer_ver, referrer_voiding FROM statement_refs \
                 WHERE store = ? AND target IN ({})",
                lrs_common::clickhouse::uuid_in_list(targets)
            );
            Ok(self.client.query(&sql).bind(store).fetch_all::<RefRow>().await?)
        })
    }

    fn write_watermarks<'a>(&'a self, rows: &'a [WatermarkRow]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(self.insert("partition_watermarks", rows))
    }
}

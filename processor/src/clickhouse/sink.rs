use super::rows::{StatementRow, WatermarkRow};
use crate::metrics::{INSERT_BATCHES, INSERT_ERRORS, INSERT_LATENCY, INSERT_ROWS};
use futures::future::BoxFuture;
use std::time::{Duration, Instant};

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

/// Where the processor's rows go. One call writes one whole batch or fails as a whole.
pub trait RowSink: Send + Sync + 'static {
    fn write_statements<'a>(&'a self, rows: &'a [StatementRow]) -> BoxFuture<'a, Result<(), SinkError>>;
    fn write_watermarks<'a>(&'a self, rows: &'a [WatermarkRow]) -> BoxFuture<'a, Result<(), SinkError>>;
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
        let started = Instant::now();
        let write = async {
            let mut insert = self.client.insert::<T>(table).await?;
            for row in rows {
                insert.write(row).await?;
            }
            insert.end().await?;
            Ok::<_, SinkError>(())
        };
        let result = match tokio::time::timeout(self.timeout, write).await {
            Ok(r) => r,
            Err(_) => Err(SinkError::Timeout(self.timeout)),
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
}

impl RowSink for ClickHouseSink {
    fn write_statements<'a>(&'a self, rows: &'a [StatementRow]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(self.insert("statements", rows))
    }

    fn write_watermarks<'a>(&'a self, rows: &'a [WatermarkRow]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(self.insert("partition_watermarks", rows))
    }
}

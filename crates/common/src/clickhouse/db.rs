//! Every ClickHouse call of the LRS goes through [`Db`]: the same client settings, and a timeout on every
//! query and insert (a hung or frozen server must turn into a timely error, never a request held for ever).
//! The default comes from `LRS_CLICKHOUSE_TIMEOUT_MS`; a call that expects to run long says so with
//! [`Db::with_timeout`] / [`Query::with_timeout`]. The same bound is sent as the server's
//! `max_execution_time`, so a query the client gave up on stops using the server too.

use clickhouse::sql::Bind;
use clickhouse::{Row, RowOwned, RowRead, RowWrite};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("clickhouse: {0}")]
    ClickHouse(#[from] clickhouse::error::Error),
    #[error("clickhouse gave no answer within {0:?}")]
    Timeout(Duration),
    #[error("clickhouse answered something unreadable: {0}")]
    Decode(String),
}

impl DbError {
    /// TOO_MANY_PARTS (code 252): the server asks writers to slow down while merges catch up.
    pub fn is_backpressure(&self) -> bool {
        match self {
            DbError::ClickHouse(e) => {
                let text = e.to_string();
                text.contains("TOO_MANY_PARTS") || text.contains("Code: 252")
            }
            DbError::Timeout(_) | DbError::Decode(_) => false,
        }
    }

    /// A stable label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            DbError::Timeout(_) => "timeout",
            DbError::ClickHouse(_) if self.is_backpressure() => "too_many_parts",
            DbError::ClickHouse(_) => "error",
            DbError::Decode(_) => "decode",
        }
    }
}

#[derive(Clone)]
pub struct Db {
    client: clickhouse::Client,
    timeout: Duration,
}

impl Db {
    pub fn new(client: clickhouse::Client, timeout: Duration) -> Self {
        Db { client, timeout }
    }

    /// The same database with another bound for every call (for the few calls expected to run long).
    pub fn with_timeout(&self, timeout: Duration) -> Db {
        Db { client: self.client.clone(), timeout }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn query(&self, sql: &str) -> Query {
        Query { inner: self.client.query(sql), timeout: self.timeout }
    }

    /// One INSERT of `rows` into `table` (one block, so ClickHouse stores all of them or none).
    pub async fn insert<T>(&self, table: &str, rows: &[T]) -> Result<(), DbError>
    where
        T: RowOwned + RowWrite + Send + Sync,
    {
        let write = async {
            let mut insert = self.client.insert::<T>(table).await?;
            for row in rows {
                insert.write(row).await?;
            }
            insert.end().await?;
            Ok::<_, DbError>(())
        };
        bounded(self.timeout, write).await
    }
}

/// A query with its bound; the fetch methods mirror `clickhouse::query::Query`'s.
pub struct Query {
    inner: clickhouse::query::Query,
    timeout: Duration,
}

impl Query {
    #[must_use]
    pub fn bind(mut self, value: impl Bind) -> Self {
        self.inner = self.inner.bind(value);
        self
    }

    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn bounded_inner(self) -> (clickhouse::query::Query, Duration) {
        let secs = self.timeout.as_secs().max(1).to_string();
        (self.inner.with_setting("max_execution_time", secs), self.timeout)
    }

    pub async fn execute(self) -> Result<(), DbError> {
        let (q, t) = self.bounded_inner();
        bounded(t, async { Ok(q.execute().await?) }).await
    }

    pub async fn fetch_all<T>(self) -> Result<Vec<T>, DbError>
    where
        T: RowOwned + RowRead,
    {
        let (q, t) = self.bounded_inner();
        bounded(t, async { Ok(q.fetch_all::<T>().await?) }).await
    }

    pub async fn fetch_one<T>(self) -> Result<T, DbError>
    where
        T: RowOwned + RowRead,
    {
        let (q, t) = self.bounded_inner();
        bounded(t, async { Ok(q.fetch_one::<T>().await?) }).await
    }

    pub async fn fetch_optional<T>(self) -> Result<Option<T>, DbError>
    where
        T: RowOwned + RowRead,
    {
        let (q, t) = self.bounded_inner();
        bounded(t, async { Ok(q.fetch_optional::<T>().await?) }).await
    }

    /// The whole result as text in a ClickHouse output `format` (for results whose columns vary by request).
    pub async fn fetch_text(self, format: &str) -> Result<String, DbError> {
        let (q, t) = self.bounded_inner();
        bounded(t, async {
            let bytes = q.fetch_bytes(format)?.collect().await?;
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        })
        .await
    }

    /// A cursor for results too large to collect (exports). Each row is awaited with the query's bound, so a
    /// stalled server still ends the stream with an error.
    pub fn fetch<T: Row>(self) -> Result<Cursor<T>, DbError> {
        let timeout = self.timeout;
        // A long stream is bounded per row, not as a whole.
        Ok(Cursor { inner: self.inner.fetch::<T>()?, timeout })
    }
}

pub struct Cursor<T: Row> {
    inner: clickhouse::query::RowCursor<T>,
    timeout: Duration,
}

impl<T: RowOwned + RowRead> Cursor<T> {
    pub async fn next(&mut self) -> Result<Option<T>, DbError> {
        match tokio::time::timeout(self.timeout, self.inner.next()).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(DbError::Timeout(self.timeout)),
        }
    }
}

async fn bounded<T>(timeout: Duration, f: impl std::future::Future<Output = Result<T, DbError>>) -> Result<T, DbError> {
    match tokio::time::timeout(timeout, f).await {
        Ok(r) => r,
        Err(_) => Err(DbError::Timeout(timeout)),
    }
}

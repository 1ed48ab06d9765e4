//! The visible acknowledgement mode: after Kafka acknowledged a request's statements, wait until the query
//! service can read every one of them (read-your-writes), then answer.

use crate::metrics::VISIBLE_WAIT;
use std::time::{Duration, Instant};
use uuid::Uuid;

pub struct Visibility {
    client: clickhouse::Client,
    timeout: Duration,
}

const POLL: Duration = Duration::from_millis(20);

impl Visibility {
    pub fn new(client: clickhouse::Client, timeout: Duration) -> Self {
        Visibility { client, timeout }
    }

    /// Waits until all `ids` of `store` are stored. On timeout (or a ClickHouse error) the write is still
    /// durable, so the caller answers anyway; this returns false and the wait is logged.
    pub async fn wait(&self, store: &str, ids: &[Uuid]) -> bool {
        let started = Instant::now();
        // The ids are parsed UUIDs, so inlining their canonical text is safe.
        let list = ids.iter().map(|id| format!("'{}'", id.hyphenated())).collect::<Vec<_>>().join(",");
        let sql = format!("SELECT uniqExact(id) FROM statements WHERE store = ? AND id IN ({list})");
        let wanted = ids.iter().collect::<std::collections::HashSet<_>>().len() as u64;
        loop {
            match self.client.query(&sql).bind(store).fetch_one::<u64>().await {
                Ok(n) if n >= wanted => {
                    VISIBLE_WAIT.with_label_values(&["visible"]).observe(started.elapsed().as_secs_f64());
                    return true;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "visibility check failed"),
            }
            if started.elapsed() >= self.timeout {
                VISIBLE_WAIT.with_label_values(&["timeout"]).observe(started.elapsed().as_secs_f64());
                tracing::warn!(statements = ids.len(), "statements not visible within the timeout; answered as durable");
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

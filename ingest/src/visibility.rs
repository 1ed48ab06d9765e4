//! The visible acknowledgement mode: after Kafka acknowledged a request's statements, wait until the query
//! service can read every one of them (read-your-writes), then answer. One background task checks the ids of
//! all waiting requests together, every 20 ms, so the load on ClickHouse does not grow with the number of
//! concurrent requests.

use crate::metrics::VISIBLE_WAIT;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

const POLL: Duration = Duration::from_millis(20);
/// Ids checked in one query at most; more wait for the next round.
const MAX_IDS_PER_QUERY: usize = 10_000;

pub struct Visibility {
    tx: mpsc::UnboundedSender<Waiter>,
    timeout: Duration,
}

struct Waiter {
    store: Arc<str>,
    remaining: HashSet<Uuid>,
    started: Instant,
    done: oneshot::Sender<()>,
}

impl Visibility {
    /// Starts the checking task (it ends when the `Visibility` is dropped).
    pub fn new(client: clickhouse::Client, timeout: Duration) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(check_loop(client, rx, timeout));
        Visibility { tx, timeout }
    }

    /// Waits until all `ids` of `store` are stored. On timeout (or when ClickHouse cannot be asked) the write
    /// is still durable, so the caller answers anyway; this returns false and the wait is counted.
    pub async fn wait(&self, store: Arc<str>, ids: &[Uuid]) -> bool {
        let (done, visible) = oneshot::channel();
        let waiter = Waiter { store, remaining: ids.iter().copied().collect(), started: Instant::now(), done };
        if self.tx.send(waiter).is_err() {
            return false;
        }
        tokio::time::timeout(self.timeout + POLL * 5, visible).await.is_ok_and(|r| r.is_ok())
    }
}

async fn check_loop(client: clickhouse::Client, mut rx: mpsc::UnboundedReceiver<Waiter>, timeout: Duration) {
    let mut waiting: Vec<Waiter> = Vec::new();
    loop {
        if waiting.is_empty() {
            match rx.recv().await {
                Some(w) => waiting.push(w),
                None => return,
            }
        }
        while let Ok(w) = rx.try_recv() {
            waiting.push(w);
        }
        let mut by_store: BTreeMap<Arc<str>, Vec<Uuid>> = BTreeMap::new();
        let mut budget = MAX_IDS_PER_QUERY;
        for w in &waiting {
            let take = w.remaining.len().min(budget);
            by_store.entry(w.store.clone()).or_default().extend(w.remaining.iter().take(take));
            budget -= take;
        }
        for (store, ids) in by_store {
            match stored_ids(&client, &store, &ids).await {
                Ok(found) => {
                    for w in waiting.iter_mut().filter(|w| w.store == store) {
                        w.remaining.retain(|id| !found.contains(id));
                    }
                }
                Err(e) => tracing::warn!(error = %e, "visibility check failed"),
            }
        }
        let mut still = Vec::with_capacity(waiting.len());
        for w in waiting {
            if w.remaining.is_empty() {
                VISIBLE_WAIT.with_label_values(&["visible"]).observe(w.started.elapsed().as_secs_f64());
                let _ = w.done.send(());
            } else if w.started.elapsed() >= timeout {
                VISIBLE_WAIT.with_label_values(&["timeout"]).observe(w.started.elapsed().as_secs_f64());
                tracing::warn!(
                    statements = w.remaining.len(),
                    "statements not visible within the timeout; answered as durable"
                );
            } else {
                still.push(w);
            }
        }
        waiting = still;
        tokio::time::sleep(POLL).await;
    }
}

async fn stored_ids(
    client: &clickhouse::Client,
    store: &str,
    ids: &[Uuid],
) -> Result<HashSet<Uuid>, clickhouse::error::Error> {
    // The ids are parsed UUIDs, so inlining their canonical text is safe.
    let list = lrs_common::clickhouse::uuid_in_list(ids);
    let sql = format!("SELECT DISTINCT toString(id) FROM statements WHERE store = ? AND id IN ({list})");
    let found: Vec<String> = client.query(&sql).bind(store).fetch_all().await?;
    Ok(found.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect())
}

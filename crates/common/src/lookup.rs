//! Group commit for reads. Many concurrent requests each need a few keys looked up in ClickHouse (stored
//! statements' fingerprints, document write outcomes): a task takes every lookup queued while its previous
//! query ran and answers all of them from one query, so under load the number of queries stays flat while
//! the keys per query grow. Two modes:
//! - [`Mode::Once`]: each lookup is answered by the next query (found keys, or the query's error);
//! - [`Mode::Until`]: keys not found yet are asked again every `every`, until all are found or the caller's
//!   deadline passes (then the lookup returns what was found); failed queries are retried the same way.

use crate::clickhouse::DbError;
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Looks a set of keys up; absent keys are not in the answer.
pub trait Source<K, V>: Send + Sync + 'static {
    fn lookup<'a>(&'a self, keys: &'a [K]) -> BoxFuture<'a, Result<HashMap<K, V>, DbError>>;
}

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    Once,
    Until { every: Duration },
}

#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub mode: Mode,
    /// Queries in flight at most (Once mode; Until mode uses one task).
    pub workers: usize,
    /// Keys per query at most; more wait for the next query.
    pub max_keys: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("{0}")]
    Store(#[from] DbError),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the lookup task has stopped")]
    Stopped,
}

struct Pending<K, V> {
    keys: Vec<K>,
    found: HashMap<K, V>,
    deadline: Instant,
    reply: oneshot::Sender<Result<HashMap<K, V>, LookupError>>,
}

pub struct Batcher<K, V> {
    workers: Vec<mpsc::UnboundedSender<Pending<K, V>>>,
    next: AtomicUsize,
}

impl<K, V> Batcher<K, V>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// Starts the lookup tasks; they end when the batcher is dropped.
    pub fn new(source: Arc<dyn Source<K, V>>, config: Config) -> Self {
        let count = match config.mode {
            Mode::Once => config.workers.max(1),
            Mode::Until { .. } => 1,
        };
        let workers = (0..count)
            .map(|_| {
                let (tx, rx) = mpsc::unbounded_channel();
                tokio::spawn(run(source.clone(), config, rx));
                tx
            })
            .collect();
        Batcher { workers, next: AtomicUsize::new(0) }
    }

    /// The values of `keys` that exist (see [`Mode`]), waiting at most `timeout`.
    pub async fn get(&self, keys: Vec<K>, timeout: Duration) -> Result<HashMap<K, V>, LookupError> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let (reply, answer) = oneshot::channel();
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.workers.len();
        let pending = Pending { keys, found: HashMap::new(), deadline: Instant::now() + timeout, reply };
        self.workers[turn].send(pending).map_err(|_| LookupError::Stopped)?;
        // The worker answers by the deadline; the margin covers one query in flight at that moment.
        match tokio::time::timeout(timeout + Duration::from_millis(50), answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(LookupError::Stopped),
            Err(_) => Err(LookupError::Timeout(timeout)),
        }
    }
}

async fn run<K, V>(source: Arc<dyn Source<K, V>>, config: Config, mut rx: mpsc::UnboundedReceiver<Pending<K, V>>)
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    let mut waiting: Vec<Pending<K, V>> = Vec::new();
    loop {
        if waiting.is_empty() {
            match rx.recv().await {
                Some(p) => waiting.push(p),
                None => return,
            }
        }
        while let Ok(p) = rx.try_recv() {
            waiting.push(p);
        }
        waiting.retain(|p| !p.reply.is_closed());
        // The keys still missing, up to the query's budget; lookups past the budget wait for the next round.
        let mut keys: Vec<K> = Vec::new();
        let mut asked = 0;
        for p in &waiting {
            if keys.len() >= config.max_keys {
                break;
            }
            keys.extend(p.keys.iter().filter(|k| !p.found.contains_key(*k)).cloned());
            asked += 1;
        }
        let result = if keys.is_empty() { Ok(HashMap::new()) } else { source.lookup(&keys).await };
        let now = Instant::now();
        let mut still = Vec::with_capacity(waiting.len());
        for (i, mut p) in waiting.into_iter().enumerate() {
            if i >= asked {
                still.push(p);
                continue;
            }
            match (&result, config.mode) {
                (Ok(found), _) => {
                    for k in &p.keys {
                        if let Some(v) = found.get(k) {
                            p.found.insert(k.clone(), v.clone());
                        }
                    }
                }
                (Err(e), Mode::Once) => {
                    let _ = p.reply.send(Err(LookupError::Store(clone_error(e))));
                    continue;
                }
                (Err(_), Mode::Until { .. }) => {}
            }
            let complete = p.found.len() == p.keys.len();
            if matches!(config.mode, Mode::Once) || complete || now >= p.deadline {
                let _ = p.reply.send(Ok(p.found));
            } else {
                still.push(p);
            }
        }
        if let Err(e) = &result {
            tracing::warn!(error = %e, "batched lookup failed");
        }
        waiting = still;
        if let Mode::Until { every } = config.mode {
            if !waiting.is_empty() {
                tokio::time::sleep(every).await;
            }
        }
    }
}

/// Errors are not `Clone` (clickhouse's is not); every waiter of a failed query gets its own copy.
fn clone_error(e: &DbError) -> DbError {
    match e {
        DbError::Timeout(t) => DbError::Timeout(*t),
        DbError::Decode(m) => DbError::Decode(m.clone()),
        DbError::ClickHouse(inner) => DbError::ClickHouse(clickhouse::error::Error::Custom(inner.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Finds key k once it has been asked for k times; records every query.
    #[derive(Default)]
    struct Slow {
        queries: Mutex<Vec<Vec<u32>>>,
    }

    impl Source<u32, u32> for Slow {
        fn lookup<'a>(&'a self, keys: &'a [u32]) -> BoxFuture<'a, Result<HashMap<u32, u32>, DbError>> {
            Box::pin(async move {
                let mut q = self.queries.lock().unwrap();
                q.push(keys.to_vec());
                let n = q.len() as u32;
                Ok(keys.iter().filter(|k| **k <= n).map(|k| (*k, k * 10)).collect())
            })
        }
    }

    #[tokio::test]
    async fn once_answers_with_what_the_next_query_found() {
        let source = Arc::new(Slow::default());
        let b = Batcher::new(source.clone(), Config { mode: Mode::Once, workers: 1, max_keys: 100 });
        let found = b.get(vec![1, 5], Duration::from_secs(1)).await.unwrap();
        assert_eq!(found, HashMap::from([(1, 10)]));
    }

    #[tokio::test]
    async fn until_asks_again_for_what_is_missing() {
        let source = Arc::new(Slow::default());
        let b = Batcher::new(
            source.clone(),
            Config { mode: Mode::Until { every: Duration::from_millis(1) }, workers: 1, max_keys: 100 },
        );
        let found = b.get(vec![1, 3], Duration::from_secs(1)).await.unwrap();
        assert_eq!(found, HashMap::from([(1, 10), (3, 30)]));
        let queries = source.queries.lock().unwrap().clone();
        assert_eq!(queries[0], vec![1, 3]);
        assert!(queries[1..].iter().all(|q| q == &vec![3]), "found keys are not asked again: {queries:?}");
        drop(queries);
        let partial = b.get(vec![1000], Duration::from_millis(20)).await.unwrap();
        assert!(partial.is_empty(), "the deadline returns what was found");
    }

    #[tokio::test]
    async fn concurrent_lookups_share_queries() {
        let source = Arc::new(Slow::default());
        let b = Arc::new(Batcher::new(source.clone(), Config { mode: Mode::Once, workers: 1, max_keys: 1000 }));
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let b = b.clone();
                tokio::spawn(async move { b.get(vec![i], Duration::from_secs(1)).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert!(source.queries.lock().unwrap().len() < 50);
    }
}

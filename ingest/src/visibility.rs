//! The visible acknowledgement mode: after Kafka acknowledged a request, wait until the query service can
//! read it (read-your-writes), then answer. The waiting requests' ids are checked together by one batched
//! lookup every 20 ms, so the load on ClickHouse does not grow with the number of concurrent requests.

use crate::metrics::VISIBLE_WAIT;
use futures::future::BoxFuture;
use lrs_common::clickhouse::{Db, DbError};
use lrs_common::lookup::{self, Batcher, Mode};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

type Key = (Arc<str>, Uuid);

pub struct Visibility {
    batcher: Batcher<Key, ()>,
    timeout: Duration,
}

impl Visibility {
    pub fn new(db: Db, timeout: Duration) -> Self {
        let batcher = Batcher::new(
            Arc::new(Source { db }),
            lookup::Config { mode: Mode::Until { every: Duration::from_millis(20) }, workers: 1, max_keys: 10_000 },
        );
        Visibility { batcher, timeout }
    }

    /// Waits until `id` of `store` is stored; false when it is not within the timeout (the write is durable
    /// all the same, and the wait is counted).
    pub async fn wait(&self, store: Arc<str>, id: Uuid) -> bool {
        let started = Instant::now();
        let visible = matches!(self.batcher.get(vec![(store, id)], self.timeout).await, Ok(found) if !found.is_empty());
        let outcome = if visible { "visible" } else { "timeout" };
        VISIBLE_WAIT.with_label_values(&[outcome]).observe(started.elapsed().as_secs_f64());
        if !visible {
            tracing::warn!("statements not visible within the timeout; answered as durable");
        }
        visible
    }
}

struct Source {
    db: Db,
}

impl lookup::Source<Key, ()> for Source {
    fn lookup<'a>(&'a self, keys: &'a [Key]) -> BoxFuture<'a, Result<HashMap<Key, ()>, DbError>> {
        Box::pin(async move {
            let mut by_store: HashMap<&Arc<str>, Vec<Uuid>> = HashMap::new();
            for (store, id) in keys {
                by_store.entry(store).or_default().push(*id);
            }
            let mut found = HashMap::new();
            for (store, ids) in by_store {
                let sql = format!(
                    "SELECT DISTINCT toString(id) FROM statements WHERE store = ? AND id IN ({})",
                    lrs_common::clickhouse::uuid_in_list(&ids)
                );
                for id in self.db.query(&sql).bind(&**store).fetch_all::<String>().await? {
                    if let Ok(id) = Uuid::parse_str(&id) {
                        found.insert((store.clone(), id), ());
                    }
                }
            }
            Ok(found)
        })
    }
}

//! The stored statements' fingerprints, when the gateway must ask ClickHouse (see `ids`): looked up by one
//! batched lookup shared by all concurrent requests.

use futures::future::BoxFuture;
use lrs_common::clickhouse::{winner, Db, DbError};
use lrs_common::lookup::{self, Batcher, LookupError, Mode};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// A stored statement as the comparison sees it: its fingerprint (without timestamp) and its timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredStatement {
    pub fingerprint: u64,
    pub timestamp_ms: i64,
}

/// Stored fingerprints by id. A trait so the HTTP handlers are testable without ClickHouse.
pub trait StoredFingerprints: Send + Sync {
    fn fingerprints<'a>(
        &'a self,
        store: &'a str,
        ids: &'a [Uuid],
    ) -> BoxFuture<'a, Result<HashMap<Uuid, StoredStatement>, LookupError>>;
}

type Key = (Arc<str>, Uuid);

/// The stored fingerprints, from ClickHouse through a shared batched lookup (two queries in flight, so one
/// query's round trip overlaps the next one's gathering).
pub struct ClickHouseFingerprints {
    batcher: Batcher<Key, StoredStatement>,
    timeout: Duration,
}

impl ClickHouseFingerprints {
    pub fn new(db: Db) -> Self {
        let timeout = db.timeout();
        let batcher =
            Batcher::new(Arc::new(Source { db }), lookup::Config { mode: Mode::Once, workers: 2, max_keys: 20_000 });
        ClickHouseFingerprints { batcher, timeout }
    }
}

struct Source {
    db: Db,
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct Row {
    #[serde(with = "clickhouse::serde::uuid")]
    id: Uuid,
    fingerprint: u64,
    timestamp_ms: i64,
}

impl lookup::Source<Key, StoredStatement> for Source {
    fn lookup<'a>(&'a self, keys: &'a [Key]) -> BoxFuture<'a, Result<HashMap<Key, StoredStatement>, DbError>> {
        Box::pin(async move {
            let mut by_store: HashMap<&Arc<str>, Vec<Uuid>> = HashMap::new();
            for (store, id) in keys {
                by_store.entry(store).or_default().push(*id);
            }
            let mut found = HashMap::new();
            for (store, ids) in by_store {
                let sql = winner::latest_sql(&["fingerprint", "timestamp_ms"], &ids);
                for r in self.db.query(&sql).bind(&**store).fetch_all::<Row>().await? {
                    found.insert(
                        (store.clone(), r.id),
                        StoredStatement { fingerprint: r.fingerprint, timestamp_ms: r.timestamp_ms },
                    );
                }
            }
            Ok(found)
        })
    }
}

impl StoredFingerprints for ClickHouseFingerprints {
    fn fingerprints<'a>(
        &'a self,
        store: &'a str,
        ids: &'a [Uuid],
    ) -> BoxFuture<'a, Result<HashMap<Uuid, StoredStatement>, LookupError>> {
        Box::pin(async move {
            let store: Arc<str> = store.into();
            let keys = ids.iter().map(|id| (store.clone(), *id)).collect();
            let found = self.batcher.get(keys, self.timeout).await?;
            Ok(found.into_iter().map(|((_, id), s)| (id, s)).collect())
        })
    }
}

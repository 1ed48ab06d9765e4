//! xAPI's rule for a statement id that is already stored: the same statement again is a no-op, a different
//! one is 409 Conflict. The gateway compares comparison fingerprints (computed by the domain crate from what
//! the client sent) with the stored ones, looked up in ClickHouse by one batched lookup shared by all
//! concurrent requests. Two different statements racing with one id through different gateways are both
//! accepted; storage then keeps the first (earliest `stored`) and queries never show two.

use futures::future::BoxFuture;
use lrs_common::clickhouse::{winner, Db, DbError};
use lrs_common::lookup::{self, Batcher, LookupError, Mode};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;
use xapi::Prepared;

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

/// What to do with a request's statements given the stored ones.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Publish these (statements identical to stored ones are dropped: re-sending them is a no-op).
    Publish(Vec<Prepared>),
    /// A statement differs from the stored statement with its id.
    Conflict(Uuid),
}

pub fn resolve(prepared: Vec<Prepared>, stored: &HashMap<Uuid, StoredStatement>) -> Outcome {
    let differs = |p: &Prepared, s: &StoredStatement| {
        s.fingerprint != p.fingerprint || p.client_timestamp_ms.is_some_and(|t| t != s.timestamp_ms)
    };
    if let Some(p) = prepared.iter().find(|p| stored.get(&p.id).is_some_and(|s| differs(p, s))) {
        return Outcome::Conflict(p.id);
    }
    Outcome::Publish(prepared.into_iter().filter(|p| !stored.contains_key(&p.id)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: u128, fingerprint: u64) -> Prepared {
        Prepared { id: Uuid::from_u128(id), payload: vec![], fingerprint, client_id: true, client_timestamp_ms: None }
    }

    fn s(fingerprint: u64) -> StoredStatement {
        StoredStatement { fingerprint, timestamp_ms: 500 }
    }

    #[test]
    fn timestamps_conflict_only_when_both_sides_have_one() {
        let stored = HashMap::from([(Uuid::from_u128(1), s(10))]);
        let with = |t| Prepared { client_timestamp_ms: Some(t), ..p(1, 10) };
        assert_eq!(resolve(vec![with(500)], &stored), Outcome::Publish(vec![]));
        assert_eq!(resolve(vec![with(501)], &stored), Outcome::Conflict(Uuid::from_u128(1)));
    }

    #[test]
    fn same_is_dropped_different_conflicts() {
        let stored = HashMap::from([(Uuid::from_u128(1), s(10)), (Uuid::from_u128(2), s(20))]);
        assert_eq!(resolve(vec![p(1, 10), p(3, 30)], &stored), Outcome::Publish(vec![p(3, 30)]));
        assert_eq!(resolve(vec![p(3, 30), p(2, 21)], &stored), Outcome::Conflict(Uuid::from_u128(2)));
        assert_eq!(resolve(vec![p(1, 10)], &stored), Outcome::Publish(vec![]));
    }
}

//! xAPI's rule for a statement id that is already stored: the same statement again is a no-op, a different
//! one is 409 Conflict. The gateway compares comparison fingerprints (computed by the domain crate from what
//! the client sent) with the stored ones. Two different statements racing with one id through different
//! gateways are both accepted; storage then keeps the first (earliest `stored`) and queries never show two.

use futures::future::BoxFuture;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
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
    ) -> BoxFuture<'a, Result<HashMap<Uuid, StoredStatement>, String>>;
}

/// Looks stored statements up in ClickHouse. Concurrent requests share queries: one task takes every lookup
/// queued while the previous query ran and answers them all from one query per store, so under load the
/// number of queries stays flat while the requests per query grow (group commit, for reads).
pub struct ClickHouseFingerprints {
    /// One channel per lookup task; requests take turns, so a query in flight does not hold up the next one.
    workers: Vec<mpsc::UnboundedSender<Lookup>>,
    next: std::sync::atomic::AtomicUsize,
}

type Found = HashMap<Uuid, StoredStatement>;

struct Lookup {
    store: String,
    ids: Vec<Uuid>,
    reply: oneshot::Sender<Result<Found, String>>,
}

/// Ids per query at most: the query text grows with them.
const MAX_IDS_PER_QUERY: usize = 20_000;

/// Lookup queries in flight at most: two overlap one query's round trip with the next one's batching.
const WORKERS: usize = 2;

impl ClickHouseFingerprints {
    /// Starts the lookup tasks (they end when this is dropped).
    pub fn new(client: clickhouse::Client) -> Self {
        let workers = (0..WORKERS)
            .map(|_| {
                let (tx, rx) = mpsc::unbounded_channel();
                tokio::spawn(lookup_loop(client.clone(), rx));
                tx
            })
            .collect();
        ClickHouseFingerprints { workers, next: std::sync::atomic::AtomicUsize::new(0) }
    }
}

async fn lookup_loop(client: clickhouse::Client, mut rx: mpsc::UnboundedReceiver<Lookup>) {
    while let Some(first) = rx.recv().await {
        let mut pending = vec![first];
        let mut ids = pending[0].ids.len();
        while ids < MAX_IDS_PER_QUERY {
            match rx.try_recv() {
                Ok(next) => {
                    ids += next.ids.len();
                    pending.push(next);
                }
                Err(_) => break,
            }
        }
        let mut by_store: BTreeMap<String, Vec<Lookup>> = BTreeMap::new();
        for lookup in pending {
            by_store.entry(lookup.store.clone()).or_default().push(lookup);
        }
        for (store, lookups) in by_store {
            let all: Vec<Uuid> = lookups.iter().flat_map(|l| l.ids.iter().copied()).collect();
            let result = query(&client, &store, &all).await;
            for lookup in lookups {
                let answer = match &result {
                    Ok(found) => Ok(lookup.ids.iter().filter_map(|id| found.get(id).map(|s| (*id, *s))).collect()),
                    Err(e) => Err(e.clone()),
                };
                let _ = lookup.reply.send(answer);
            }
        }
    }
}

async fn query(client: &clickhouse::Client, store: &str, ids: &[Uuid]) -> Result<Found, String> {
    let list = lrs_common::clickhouse::uuid_in_list(ids);
    let sql = format!(
        "SELECT id, argMax(fingerprint, ver) AS fingerprint, argMax(timestamp_ms, ver) AS timestamp_ms \
         FROM statements WHERE store = ? AND id IN ({list}) GROUP BY id"
    );
    match tokio::time::timeout(TIMEOUT, client.query(&sql).bind(store).fetch_all::<Stored>()).await {
        Ok(Ok(rows)) => Ok(rows
            .into_iter()
            .map(|r| (r.id, StoredStatement { fingerprint: r.fingerprint, timestamp_ms: r.timestamp_ms }))
            .collect()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {TIMEOUT:?}")),
    }
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct Stored {
    #[serde(with = "clickhouse::serde::uuid")]
    id: Uuid,
    fingerprint: u64,
    timestamp_ms: i64,
}

const TIMEOUT: Duration = Duration::from_secs(5);

impl StoredFingerprints for ClickHouseFingerprints {
    fn fingerprints<'a>(&'a self, store: &'a str, ids: &'a [Uuid]) -> BoxFuture<'a, Result<Found, String>> {
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            let turn = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.workers.len();
            self.workers[turn]
                .send(Lookup { store: store.to_string(), ids: ids.to_vec(), reply })
                .map_err(|_| "the lookup task has stopped".to_string())?;
            answer.await.map_err(|_| "the lookup task has stopped".to_string())?
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

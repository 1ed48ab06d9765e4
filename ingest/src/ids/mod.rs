//! What the gateway knows of statement ids, so that the 409 check needs no ClickHouse round trip in the
//! common case. For a client-chosen id, in order:
//! 1. the recent table (ids this gateway published or the id log reported lately, and ids being published
//!    right now): an exact answer, same statement (no-op) or different (409);
//! 2. the filter of every stored id: "certainly new" for almost every fresh id;
//! 3. otherwise (a resend, or one of the filter's rare false positives) a ClickHouse lookup, batched with
//!    the other requests'; if ClickHouse cannot answer in time the write is accepted anyway (first write
//!    wins still decides what is stored) and counted as unchecked.
//!
//! Across gateways, two different statements sent with one id within the moment it takes the id log to
//! reach the other gateway are both accepted; the first stored wins and the conflict is counted.

mod recent;
pub mod tail;

pub use lrs_common::id_filter::IdFilter;
pub use recent::{Known, Recent, Reserved};
pub use tail::Tail;

use crate::conflicts::{StoredFingerprints, StoredStatement};
use crate::error::IngestError;
use crate::metrics::{CONFLICT_CHECKS, STATEMENTS};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;
use xapi::Prepared;

pub struct IdIndex {
    pub filter: Arc<IdFilter>,
    pub recent: Arc<Recent>,
    lookups: Arc<dyn StoredFingerprints>,
    lookup_timeout: Duration,
}

/// A request's statements after the check: those to publish, and the ids it reserved (to confirm once
/// Kafka acknowledged the record, or to release if it did not).
#[derive(Debug)]
pub struct Checked {
    pub publish: Vec<Prepared>,
    reserved: Vec<(Uuid, Known)>,
}

fn differs(p: &Prepared, fingerprint: u64, timestamp_ms: i64) -> bool {
    fingerprint != p.fingerprint || p.client_timestamp_ms.is_some_and(|t| t != timestamp_ms)
}

impl IdIndex {
    pub fn new(
        filter: Arc<IdFilter>,
        recent: Arc<Recent>,
        lookups: Arc<dyn StoredFingerprints>,
        lookup_timeout: Duration,
    ) -> Self {
        IdIndex { filter, recent, lookups, lookup_timeout }
    }

    /// Applies xAPI's rule for stored ids: a statement equal to the stored one with its id is dropped (a
    /// no-op), a different one makes the whole request a 409 (nothing of it is published).
    pub async fn check(
        &self,
        store: &Arc<str>,
        prepared: Vec<Prepared>,
        stored_ms: i64,
    ) -> Result<Checked, IngestError> {
        let mut reserved = Vec::new();
        let mut keep = vec![true; prepared.len()];
        let mut to_lookup: Vec<usize> = Vec::new();
        for (i, p) in prepared.iter().enumerate() {
            if !p.client_id {
                continue;
            }
            let known = Known {
                fingerprint: p.fingerprint,
                timestamp_ms: p.client_timestamp_ms.unwrap_or(stored_ms),
                pending: true,
            };
            match self.recent.reserve(store, p.id, known) {
                Reserved::New => {
                    reserved.push((p.id, known));
                    if self.filter.is_ready() && !self.filter.may_contain(store, p.id) {
                        CONFLICT_CHECKS.with_label_values(&["filter"]).inc();
                    } else {
                        to_lookup.push(i);
                    }
                }
                Reserved::Known(k) => {
                    CONFLICT_CHECKS.with_label_values(&["recent"]).inc();
                    if differs(p, k.fingerprint, k.timestamp_ms) {
                        return Err(self.conflict(store, &reserved, p.id));
                    }
                    // Being published by another request: publishing it again is harmless (the copies are
                    // equal), and this request must not be answered before it is durable itself.
                    keep[i] = k.pending;
                }
            }
        }
        if !to_lookup.is_empty() {
            let ids: Vec<Uuid> = to_lookup.iter().map(|i| prepared[*i].id).collect();
            let found = tokio::time::timeout(self.lookup_timeout, self.lookups.fingerprints(store, &ids)).await;
            match found {
                Ok(Ok(found)) => {
                    CONFLICT_CHECKS.with_label_values(&["lookup"]).inc_by(ids.len() as u64);
                    for i in to_lookup {
                        let p = &prepared[i];
                        if let Some(StoredStatement { fingerprint, timestamp_ms }) = found.get(&p.id) {
                            if differs(p, *fingerprint, *timestamp_ms) {
                                return Err(self.conflict(store, &reserved, p.id));
                            }
                            keep[i] = false;
                        }
                    }
                }
                Ok(Err(e)) => {
                    CONFLICT_CHECKS.with_label_values(&["unchecked"]).inc_by(ids.len() as u64);
                    tracing::warn!(error = %e, statements = ids.len(), "stored ids could not be checked; accepted (first write wins)");
                }
                Err(_) => {
                    CONFLICT_CHECKS.with_label_values(&["unchecked"]).inc_by(ids.len() as u64);
                    tracing::warn!(
                        statements = ids.len(),
                        "stored ids not checked in time; accepted (first write wins)"
                    );
                }
            }
        }
        let publish = prepared.into_iter().zip(keep).filter_map(|(p, k)| k.then_some(p)).collect();
        Ok(Checked { publish, reserved })
    }

    fn conflict(&self, store: &Arc<str>, reserved: &[(Uuid, Known)], id: Uuid) -> IngestError {
        self.release(store, reserved);
        STATEMENTS.with_label_values(&["conflict"]).inc();
        IngestError::Conflict(id)
    }

    fn release(&self, store: &Arc<str>, reserved: &[(Uuid, Known)]) {
        for (id, _) in reserved {
            self.recent.release(store, *id);
        }
    }

    /// Kafka acknowledged the request's record: its ids exist from now on.
    pub fn confirm(&self, store: &Arc<str>, checked: &Checked) {
        for (id, known) in &checked.reserved {
            self.recent.confirm(store, *id, *known);
        }
        for p in &checked.publish {
            self.filter.insert(store, p.id);
        }
    }

    /// Kafka did not take the record: the reservations go.
    pub fn abandon(&self, store: &Arc<str>, checked: &Checked) {
        self.release(store, &checked.reserved);
    }
}

/// Lookups that always fail, for an index used without ClickHouse (tests).
pub struct NoLookups;

impl StoredFingerprints for NoLookups {
    fn fingerprints<'a>(
        &'a self,
        _: &'a str,
        _: &'a [Uuid],
    ) -> futures::future::BoxFuture<'a, Result<HashMap<Uuid, StoredStatement>, lrs_common::lookup::LookupError>> {
        Box::pin(async { Err(lrs_common::lookup::LookupError::Stopped) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::future::BoxFuture;
    use lrs_common::lookup::LookupError;
    use std::sync::Mutex;

    struct Stored(Mutex<HashMap<Uuid, StoredStatement>>, Mutex<usize>);

    impl StoredFingerprints for Stored {
        fn fingerprints<'a>(
            &'a self,
            _: &'a str,
            ids: &'a [Uuid],
        ) -> BoxFuture<'a, Result<HashMap<Uuid, StoredStatement>, LookupError>> {
            *self.1.lock().unwrap() += 1;
            let m = self.0.lock().unwrap();
            let found = ids.iter().filter_map(|id| m.get(id).map(|s| (*id, *s))).collect();
            Box::pin(async move { Ok(found) })
        }
    }

    fn p(id: Uuid, fp: u64) -> Prepared {
        Prepared { id, payload: vec![], fingerprint: fp, client_id: true, client_timestamp_ms: None }
    }

    fn index(stored: HashMap<Uuid, StoredStatement>, ready: bool) -> (IdIndex, Arc<Stored>) {
        let lookups = Arc::new(Stored(Mutex::new(stored), Mutex::new(0)));
        let filter = Arc::new(IdFilter::new(1024));
        if ready {
            filter.set_ready();
        }
        (IdIndex::new(filter, Arc::new(Recent::new(4096)), lookups.clone(), Duration::from_secs(1)), lookups)
    }

    #[tokio::test]
    async fn fresh_ids_need_no_lookup_and_a_different_resend_is_409() {
        let (idx, lookups) = index(HashMap::new(), true);
        let s: Arc<str> = "s".into();
        let id = Uuid::new_v4();
        let checked = idx.check(&s, vec![p(id, 1)], 0).await.unwrap();
        assert_eq!(checked.publish.len(), 1);
        assert_eq!(*lookups.1.lock().unwrap(), 0, "no lookup for a fresh id");
        // Before the first is acknowledged, a different statement with its id: 409; the same one: published.
        assert!(matches!(idx.check(&s, vec![p(id, 2)], 0).await, Err(IngestError::Conflict(_))));
        assert_eq!(idx.check(&s, vec![p(id, 1)], 0).await.unwrap().publish.len(), 1);
        idx.confirm(&s, &checked);
        assert!(
            idx.check(&s, vec![p(id, 1)], 0).await.unwrap().publish.is_empty(),
            "once durable, a resend is a no-op"
        );
        assert!(matches!(idx.check(&s, vec![p(id, 2)], 0).await, Err(IngestError::Conflict(_))));
    }

    #[tokio::test]
    async fn ids_the_filter_may_hold_are_looked_up() {
        let id = Uuid::new_v4();
        let (idx, lookups) = index(HashMap::from([(id, StoredStatement { fingerprint: 7, timestamp_ms: 5 })]), true);
        let s: Arc<str> = "s".into();
        idx.filter.insert(&s, id);
        assert!(matches!(idx.check(&s, vec![p(id, 8)], 0).await, Err(IngestError::Conflict(_))));
        assert!(idx.check(&s, vec![p(id, 7)], 0).await.unwrap().publish.is_empty());
        assert_eq!(*lookups.1.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn a_conflict_releases_the_requests_reservations() {
        let (idx, _) = index(HashMap::new(), true);
        let s: Arc<str> = "s".into();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let first = idx.check(&s, vec![p(b, 1)], 0).await.unwrap();
        idx.confirm(&s, &first);
        assert!(idx.check(&s, vec![p(a, 1), p(b, 2)], 0).await.is_err());
        assert_eq!(idx.check(&s, vec![p(a, 9)], 0).await.unwrap().publish.len(), 1, "a was released");
    }

    #[tokio::test]
    async fn an_unready_filter_asks_and_an_unanswered_lookup_accepts() {
        let (idx, lookups) = index(HashMap::new(), false);
        let s: Arc<str> = "s".into();
        assert_eq!(idx.check(&s, vec![p(Uuid::new_v4(), 1)], 0).await.unwrap().publish.len(), 1);
        assert_eq!(*lookups.1.lock().unwrap(), 1);
        let idx = IdIndex::new(
            Arc::new(IdFilter::new(16)),
            Arc::new(Recent::new(64)),
            Arc::new(NoLookups),
            Duration::from_millis(10),
        );
        assert_eq!(idx.check(&s, vec![p(Uuid::new_v4(), 1)], 0).await.unwrap().publish.len(), 1, "unchecked, accepted");
    }
}

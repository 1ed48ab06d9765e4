//! The ids this gateway published or saw written lately, with what the 409 check compares: exact, bounded
//! (oldest entries make room), sharded so concurrent requests rarely meet on a lock. A request reserves its
//! new ids here before publishing, so a different statement sent with the same id a moment later (before
//! the first is even acknowledged) gets 409. Hashed with foldhash: every client-chosen id passes here twice.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

const SHARDS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub fingerprint: u64,
    pub timestamp_ms: i64,
    /// Reserved by a request whose record Kafka has not acknowledged yet.
    pub pending: bool,
}

type Key = (Arc<str>, Uuid);

struct Shard {
    map: HashMap<Key, Known, foldhash::fast::RandomState>,
    order: VecDeque<Key>,
}

pub struct Recent {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
}

/// What the table says of one id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    /// Not known: reserved now for this request.
    New,
    /// Known (written, or being published by another request).
    Known(Known),
}

impl Recent {
    pub fn new(capacity: usize) -> Self {
        let per_shard = (capacity / SHARDS).max(64);
        Recent {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        map: HashMap::with_capacity_and_hasher(per_shard, Default::default()),
                        order: VecDeque::with_capacity(per_shard),
                    })
                })
                .collect(),
            per_shard,
        }
    }

    fn shard(&self, id: &Uuid) -> std::sync::MutexGuard<'_, Shard> {
        let i = (id.as_u128() as usize) % SHARDS;
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    fn insert_into(&self, shard: &mut Shard, key: Key, known: Known) {
        if shard.map.insert(key.clone(), known).is_none() {
            shard.order.push_back(key);
            while shard.order.len() > self.per_shard {
                if let Some(old) = shard.order.pop_front() {
                    shard.map.remove(&old);
                }
            }
        }
    }

    /// Looks the id up; when it is unknown, reserves it as pending with `known` in the same step.
    pub fn reserve(&self, store: &Arc<str>, id: Uuid, known: Known) -> Reserved {
        let mut shard = self.shard(&id);
        let key = (store.clone(), id);
        if let Some(k) = shard.map.get(&key) {
            return Reserved::Known(*k);
        }
        self.insert_into(&mut shard, key, Known { pending: true, ..known });
        Reserved::New
    }

    /// A reservation whose request failed: forgotten, unless something else confirmed the id meanwhile.
    pub fn release(&self, store: &Arc<str>, id: Uuid) {
        let mut shard = self.shard(&id);
        let key = (store.clone(), id);
        if shard.map.get(&key).is_some_and(|k| k.pending) {
            shard.map.remove(&key);
            shard.order.retain(|k| k != &key);
        }
    }

    /// The id is durable: this gateway's record was acknowledged, or the id log says it was written. Returns
    /// what was known before (to tell a late conflict).
    pub fn confirm(&self, store: &Arc<str>, id: Uuid, known: Known) -> Option<Known> {
        let mut shard = self.shard(&id);
        let key = (store.clone(), id);
        match shard.map.get_mut(&key) {
            Some(existing) => {
                let before = *existing;
                // The first confirmed version stays: it is the one this gateway acknowledged or saw first.
                if existing.pending {
                    *existing = Known { pending: false, ..known };
                }
                Some(before)
            }
            None => {
                self.insert_into(&mut shard, key, Known { pending: false, ..known });
                None
            }
        }
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).map.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(fp: u64) -> Known {
        Known { fingerprint: fp, timestamp_ms: 0, pending: false }
    }

    #[test]
    fn reserve_release_confirm() {
        let r = Recent::new(1024);
        let s: Arc<str> = "s".into();
        let id = Uuid::new_v4();
        assert_eq!(r.reserve(&s, id, k(1)), Reserved::New);
        assert_eq!(r.reserve(&s, id, k(2)), Reserved::Known(Known { fingerprint: 1, timestamp_ms: 0, pending: true }));
        r.release(&s, id);
        assert_eq!(r.reserve(&s, id, k(2)), Reserved::New);
        assert_eq!(r.confirm(&s, id, k(2)).map(|k| k.pending), Some(true));
        r.release(&s, id);
        assert_eq!(r.reserve(&s, id, k(3)), Reserved::Known(k(2)), "a confirmed id is not released");
        let other: Arc<str> = "t".into();
        assert_eq!(r.reserve(&other, id, k(3)), Reserved::New, "stores are apart");
    }

    #[test]
    fn bounded() {
        let r = Recent::new(16 * 64);
        let s: Arc<str> = "s".into();
        for _ in 0..10_000 {
            r.confirm(&s, Uuid::new_v4(), k(1));
        }
        assert!(r.len() <= 16 * 64);
    }
}

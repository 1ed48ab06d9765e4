//! Which (store, id) pairs may exist: a Bloom filter (no false negatives; false positives about 1 in
//! 10,000), grown by adding a filter twice as large when the current one is full. Concurrent: requests ask
//! while the tail inserts, without a lock on the hot path (fastbloom's atomic filter). The gateway keeps one
//! for the 409 check; the processor's analytics stage one for the ids its ledger holds.
//!
//! An item is hashed once (foldhash, not fastbloom's default SipHash) and that hash probes every layer: the
//! check is on every client-chosen id's path.

use fastbloom::AtomicBloomFilter;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use uuid::Uuid;

const FALSE_POSITIVES: f64 = 1e-4;

pub struct IdFilter {
    layers: RwLock<Vec<Arc<Layer>>>,
    ready: AtomicBool,
    hasher: foldhash::fast::RandomState,
}

struct Layer {
    filter: AtomicBloomFilter,
    capacity: u64,
    items: AtomicU64,
}

impl Layer {
    fn new(capacity: u64) -> Layer {
        Layer {
            filter: AtomicBloomFilter::with_false_pos(FALSE_POSITIVES).expected_items(capacity as usize),
            capacity,
            items: AtomicU64::new(0),
        }
    }
}

impl IdFilter {
    pub fn new(capacity: u64) -> Self {
        IdFilter {
            layers: RwLock::new(vec![Arc::new(Layer::new(capacity.max(1024)))]),
            ready: AtomicBool::new(false),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// The item's hash: the id mixed with the store, so one id in two stores is two items.
    fn hash(&self, store: &str, id: Uuid) -> u64 {
        self.hasher.hash_one((store, id.as_u128()))
    }

    /// Makes room for `items` more without growing layer by layer (each layer is one more probe per check):
    /// called before a bulk load whose size is known.
    pub fn expect(&self, items: u64) {
        let mut layers = self.layers.write().unwrap_or_else(|e| e.into_inner());
        let Some(last) = layers.last() else { return };
        let (capacity, free) = (last.capacity, last.capacity.saturating_sub(last.items.load(Ordering::Relaxed)));
        if free < items {
            layers.push(Arc::new(Layer::new(items.max(capacity * 2))));
        }
    }

    /// Whether every stored id has been added (until then nothing can be ruled out).
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    pub fn insert(&self, store: &str, id: Uuid) {
        let h = self.hash(store, id);
        let last = self.layers.read().unwrap_or_else(|e| e.into_inner()).last().cloned();
        let Some(layer) = last else { return };
        if layer.filter.insert_hash(h) {
            return;
        }
        if layer.items.fetch_add(1, Ordering::Relaxed) + 1 >= layer.capacity {
            let mut layers = self.layers.write().unwrap_or_else(|e| e.into_inner());
            if layers.last().is_some_and(|l| Arc::ptr_eq(l, &layer)) {
                layers.push(Arc::new(Layer::new(layer.capacity * 2)));
            }
        }
    }

    /// False only for a pair that certainly was never added.
    pub fn may_contain(&self, store: &str, id: Uuid) -> bool {
        let h = self.hash(store, id);
        // The newest layer is the largest and holds most items.
        self.layers.read().unwrap_or_else(|e| e.into_inner()).iter().rev().any(|l| l.filter.contains_hash(h))
    }

    /// Items added (approximately: repeats of an item may count).
    pub fn len(&self) -> u64 {
        self.layers.read().unwrap_or_else(|e| e.into_inner()).iter().map(|l| l.items.load(Ordering::Relaxed)).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held by the bit vectors.
    pub fn bytes(&self) -> u64 {
        // fastbloom sizes ~19.2 bits per expected item at this false-positive rate.
        self.layers.read().unwrap_or_else(|e| e.into_inner()).iter().map(|l| l.capacity * 12 / 5).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_false_negatives_and_few_false_positives_as_it_grows() {
        let f = IdFilter::new(1024);
        let ids: Vec<Uuid> = (0..20_000).map(|_| Uuid::new_v4()).collect();
        for id in &ids {
            f.insert("a", *id);
        }
        assert!(ids.iter().all(|id| f.may_contain("a", *id)));
        assert!(f.layers.read().unwrap().len() > 1, "grew");
        let others = (0..20_000).filter(|_| f.may_contain("a", Uuid::new_v4())).count();
        assert!(others < 40, "{others} false positives in 20,000");
        let other_store = ids.iter().filter(|id| f.may_contain("b", **id)).count();
        assert!(other_store < 40, "the same id in another store is another item");
    }

    #[test]
    fn expecting_a_bulk_load_adds_one_layer_for_it() {
        let f = IdFilter::new(1024);
        f.insert("a", Uuid::new_v4());
        f.expect(100);
        assert_eq!(f.layers.read().unwrap().len(), 1, "room enough");
        f.expect(60_000);
        assert_eq!(f.layers.read().unwrap().len(), 2);
        let ids: Vec<Uuid> = (0..50_000).map(|_| Uuid::new_v4()).collect();
        for id in &ids {
            f.insert("a", *id);
        }
        assert_eq!(f.layers.read().unwrap().len(), 2, "the load fitted");
        assert!(ids.iter().all(|id| f.may_contain("a", *id)));
    }
}

//! The consume pipeline every topic of the processor runs through (the shape of Snuba's strategies and
//! Vector's ClickHouse sink):
//!
//! ```text
//! Kafka ──poll──▶ source (one thread) ──decode──▶ batch ──▶ writer (task) ──▶ ClickHouse / dead letters
//!                  ▲   pause/resume, commit                                   │
//!                  └───────────────── written offsets ◀───────────────────────┘
//! ```
//!
//! - [`source`]: a dedicated thread polls the consumer (so rebalance callbacks may block while they drain),
//!   decodes each record with the topic's [`Strategy`], batches, pauses its partitions while the writer is
//!   behind, and commits only the offsets the writer reports written, in order per partition.
//! - [`writer`]: a task that writes one batch at a time with the topic's [`Writer`], retrying with backoff
//!   (TOO_MANY_PARTS slows it down and pauses the source) and sending undecodable records to the dead-letter
//!   topic; a batch is reported written only when all of it is.
//!
//! Writes are idempotent (a record written twice gives the same rows), so a crash between write and commit,
//! or a rebalance, only repeats work.

pub mod batch;
pub mod consumer;
pub mod context;
pub mod dead_letter;
pub mod running;
pub mod source;
pub mod writer;

pub use batch::{Batch, Limits};

use futures::future::BoxFuture;
use lrs_common::clickhouse::DbError;
use lrs_common::kafka::PublishError;

/// A consumed record, owned (it may travel to the dead-letter topic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Record {
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
    }
}

/// Why a record cannot become rows: it goes to the dead-letter topic whole, with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DecodeError {
    /// A bounded label (`no_payload`, `missing_header`, `undecodable`).
    pub kind: &'static str,
    pub reason: String,
}

/// How a topic's records become batch items.
pub trait Strategy: Send + 'static {
    type Item: Send + 'static;
    /// Pure: a record in, an item (or the reason it is unusable) out.
    fn decode(&self, record: &Record) -> Result<Self::Item, DecodeError>;
    /// The item's weight against the batch limits: (rows, bytes).
    fn weight(item: &Self::Item) -> (usize, usize);
    /// The newest `stored` time in the item, for consistency watermarks (None: none).
    fn newest_ms(_item: &Self::Item) -> Option<i64> {
        None
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Db(#[from] DbError),
    #[error("{0}")]
    Publish(#[from] PublishError),
}

impl WriteError {
    pub fn is_backpressure(&self) -> bool {
        matches!(self, WriteError::Db(e) if e.is_backpressure())
    }
}

/// How a topic's batches are written. `prepare` runs once per batch; `write` runs until it succeeds (or
/// shutdown), each time for the whole batch: every row it writes is idempotent.
pub trait Writer: Send + Sync + 'static {
    type Item: Send + 'static;
    type Work: Send + 'static;
    fn prepare(&self, items: Vec<Self::Item>) -> Self::Work;
    fn write<'a>(&'a self, work: &'a mut Self::Work) -> BoxFuture<'a, Result<(), WriteError>>;
    /// A counter the source increments on every partition assignment (for a writer that keeps state about
    /// what its partitions hold); None for writers that keep none.
    fn assignments(&self) -> Option<std::sync::Arc<std::sync::atomic::AtomicU64>> {
        None
    }
}

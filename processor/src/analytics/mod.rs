//! The analytics stage. The statement writer publishes, after each write, one fact message per statement to
//! the facts topic, keyed by the id it concerns (a voiding statement's message is keyed by its target), so
//! every decision about one id is taken by one consumer, in order. This pipeline reads the ledger
//! (`analytics_facts`) for a batch's ids, decides ([`ledger`], pure) what changes, and inserts only that; a
//! redelivered batch finds its decisions already in the ledger and changes nothing.

pub mod ledger;
pub mod message;
pub mod writer;

use crate::pipeline::{DecodeError, Record, Strategy};
pub use message::{Change, FactMessage};

pub struct FactStrategy;

impl Strategy for FactStrategy {
    type Item = FactMessage;

    fn decode(&self, record: &Record) -> Result<FactMessage, DecodeError> {
        let payload = record
            .payload
            .as_deref()
            .ok_or_else(|| DecodeError { kind: "no_payload", reason: "fact record has no payload".into() })?;
        serde_json::from_slice(payload)
            .map_err(|e| DecodeError { kind: "undecodable", reason: format!("fact record: {e}") })
    }

    fn weight(_: &FactMessage) -> (usize, usize) {
        (1, 256)
    }

    fn newest_ms(m: &FactMessage) -> Option<i64> {
        match &m.change {
            Change::Statement { stored_ms, .. } => Some(*stored_ms),
            Change::Voided => None,
        }
    }
}

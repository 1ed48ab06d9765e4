//! What the statement writer tells the analytics stage about one statement id.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use xapi::analytics::Fact;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactMessage {
    pub store: String,
    /// The id the message concerns: the statement's own, or the target of a voiding statement.
    pub id: Uuid,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
// Nearly every message is a statement: boxing it would cost an allocation each for nothing.
#[allow(clippy::large_enum_variant)]
pub enum Change {
    /// The statement `id`, written with version `ver` (first write wins: the highest version is stored).
    Statement { ver: u64, timestamp_ms: i64, stored_ms: i64, fact: Fact },
    /// A voiding statement targets `id`.
    Voided,
}

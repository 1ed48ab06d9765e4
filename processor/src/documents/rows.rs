//! The rows of `documents` and `document_outcomes` (schemas/clickhouse/0003_documents.sql).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, clickhouse::Row)]
pub struct DocumentRow {
    pub store: String,
    pub kind: String,
    pub activity_id: String,
    pub agent_key: String,
    pub registration: String,
    pub doc_id: String,
    pub ver: u64,
    pub deleted: u8,
    pub content_type: String,
    #[serde(with = "lrs_common::clickhouse::bytes")]
    pub content: Vec<u8>,
    pub etag: String,
    pub updated_ms: i64,
    #[serde(with = "clickhouse::serde::uuid")]
    pub command_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, clickhouse::Row)]
pub struct OutcomeRow {
    pub store: String,
    #[serde(with = "clickhouse::serde::uuid")]
    pub command_id: Uuid,
    /// `applied`, or the `xapi::document::Refusal` code.
    pub code: String,
    pub message: String,
    pub written_ms: i64,
}

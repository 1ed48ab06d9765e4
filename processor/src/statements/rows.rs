//! The rows a statement record becomes, as the processor writes them (column names match
//! `schemas/clickhouse/`). The ClickHouse sink only consumes these.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, clickhouse::Row)]
pub struct StatementRow {
    pub store: String,
    #[serde(with = "clickhouse::serde::uuid")]
    pub id: Uuid,
    pub ver: u64,
    pub stored_ms: i64,
    pub timestamp_ms: i64,
    pub verb_id: String,
    pub actor_key: String,
    pub object_type: String,
    pub object_id: String,
    #[serde(with = "clickhouse::serde::uuid")]
    pub registration: Uuid,
    #[serde(with = "clickhouse::serde::uuid")]
    pub voided_id: Uuid,
    pub version: String,
    pub raw: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    pub written_ms: i64,
    pub fingerprint: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, clickhouse::Row)]
pub struct IndexRow {
    pub store: String,
    pub dim: &'static str,
    pub key: String,
    pub stored_ms: i64,
    #[serde(with = "clickhouse::serde::uuid")]
    pub id: Uuid,
    #[serde(with = "clickhouse::serde::uuid")]
    pub via: Uuid,
    pub ver: u64,
    pub voiding: u8,
    pub verb_id: String,
    pub agents: Vec<String>,
    pub related_agents: Vec<String>,
    pub activity: String,
    pub related_activities: Vec<String>,
    #[serde(with = "clickhouse::serde::uuid")]
    pub registration: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, clickhouse::Row)]
pub struct VoidRow {
    pub store: String,
    #[serde(with = "clickhouse::serde::uuid")]
    pub target: Uuid,
    #[serde(with = "clickhouse::serde::uuid")]
    pub voiding_id: Uuid,
    pub ver: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, clickhouse::Row)]
pub struct RefRow {
    pub store: String,
    #[serde(with = "clickhouse::serde::uuid")]
    pub target: Uuid,
    #[serde(with = "clickhouse::serde::uuid")]
    pub referrer: Uuid,
    pub referrer_stored_ms: i64,
    pub referrer_ver: u64,
    pub referrer_voiding: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, clickhouse::Row)]
pub struct AttachmentRow {
    pub store: String,
    pub sha2: String,
    pub content_type: String,
    /// Binary content; ClickHouse Strings are byte strings.
    #[serde(with = "lrs_common::clickhouse::bytes")]
    pub content: Vec<u8>,
    pub stored_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, clickhouse::Row)]
pub struct ActivityRow {
    pub store: String,
    pub activity_id: String,
    pub definition_hash: u64,
    pub stored_ms: i64,
    #[serde(with = "clickhouse::serde::uuid")]
    pub statement_id: Uuid,
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, clickhouse::Row)]
pub struct AgentRow {
    pub store: String,
    pub key: String,
    pub agent: String,
    pub stored_ms: i64,
}

/// The rows of one record (or of a whole batch, merged).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RecordRows {
    pub statements: Vec<StatementRow>,
    pub index: Vec<IndexRow>,
    pub voids: Vec<VoidRow>,
    /// This record's StatementRef statements, by target (also written to `statement_refs`).
    pub refs: Vec<RefRow>,
    pub attachments: Vec<AttachmentRow>,
    pub activities: Vec<ActivityRow>,
    pub agents: Vec<AgentRow>,
    /// What the analytics stage is told once the rows are written (published, not inserted).
    pub facts: Vec<crate::analytics::FactMessage>,
}

impl RecordRows {
    /// About how many bytes the rows take, for the batch limits.
    pub fn bytes(&self) -> usize {
        self.statements.iter().map(|s| s.raw.len() + 256).sum::<usize>()
            + self.index.len() * 128
            + self.attachments.iter().map(|a| a.content.len() + 128).sum::<usize>()
    }

    /// Appends `other`'s rows.
    pub fn extend(&mut self, other: RecordRows) {
        self.statements.extend(other.statements);
        self.index.extend(other.index);
        self.voids.extend(other.voids);
        self.refs.extend(other.refs);
        self.attachments.extend(other.attachments);
        self.activities.extend(other.activities);
        self.agents.extend(other.agents);
        self.facts.extend(other.facts);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, clickhouse::Row)]
pub struct WatermarkRow {
    pub topic: String,
    pub partition: i32,
    pub partition_count: i32,
    pub next_offset: i64,
    pub through_ms: i64,
    pub observed_ms: i64,
}

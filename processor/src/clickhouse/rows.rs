//! Rows as the processor writes them (column names match `schemas/clickhouse/`).

use serde::Serialize;
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

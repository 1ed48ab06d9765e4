//! The ClickHouse side of the processor: row types, and the sink that writes a batch with bounded-backoff
//! retries. The sink keeps the batch itself (the `clickhouse` crate drops its buffer on error), so a retry
//! re-sends exactly the same rows.

pub mod rows;
mod sink;

pub use sink::{insert_rows, ClickHouseSink, RowSink, SinkError};

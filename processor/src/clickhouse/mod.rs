//! The ClickHouse side of the processor: the sink the statement writer inserts through (and the reads it
//! needs to link StatementRefs), and the one insert function every processor write uses (bounded in time,
//! counted in the insert metrics). The writer keeps its batch itself (the `clickhouse` crate drops its
//! buffer on error), so a retry sends exactly the same rows.

mod sink;

pub use sink::{insert_rows, ClickHouseSink, RowSink};

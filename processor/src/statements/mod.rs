//! The statements topic: each record (the envelope of one write request) becomes the rows of every
//! statement table ([`transform`], pure), batches are linked through StatementRefs ([`refs`]) and written
//! by [`writer::StatementWriter`].

pub mod refs;
pub mod rows;
pub mod transform;
pub mod writer;

#[cfg(test)]
mod snapshot_tests;

use crate::pipeline::{DecodeError, Record, Strategy};
use lrs_common::kafka::STORE_HEADER;
use rows::RecordRows;
use transform::Position;

pub struct StatementStrategy;

impl Strategy for StatementStrategy {
    type Item = RecordRows;

    fn decode(&self, record: &Record) -> Result<RecordRows, DecodeError> {
        let store = record.header(STORE_HEADER).and_then(|v| std::str::from_utf8(v).ok());
        let at = Position { partition: record.partition, offset: record.offset };
        transform::to_rows(store, record.payload.as_deref(), at, lrs_common::now_ms())
            .map_err(|e| DecodeError { kind: e.kind(), reason: e.to_string() })
    }

    fn weight(rows: &RecordRows) -> (usize, usize) {
        (rows.statements.len(), rows.bytes())
    }

    fn newest_ms(rows: &RecordRows) -> Option<i64> {
        rows.statements.iter().map(|s| s.stored_ms).max()
    }
}

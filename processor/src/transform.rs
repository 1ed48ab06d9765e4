//! The pure part of the processor: one Kafka record in, one ClickHouse row out (or the reason it cannot be
//! used, which sends the record to the dead-letter topic).

use crate::clickhouse::rows::StatementRow;

/// Where a record came from; the offset orders the copies of one statement id (first write wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub partition: i32,
    pub offset: i64,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("record has no payload")]
    NoPayload,
    #[error("record has no {0} header")]
    MissingHeader(&'static str),
    #[error("{0}")]
    Statement(#[from] xapi::extract::ExtractError),
}

/// Turns a published statement into its row. `store` is the record's store header.
pub fn to_row(store: Option<&str>, payload: Option<&[u8]>, at: Position, written_ms: i64) -> Result<StatementRow, DecodeError> {
    let store = store.filter(|s| !s.is_empty()).ok_or(DecodeError::MissingHeader(lrs_common::kafka::STORE_HEADER))?;
    let payload = payload.ok_or(DecodeError::NoPayload)?;
    let f = xapi::extract(payload)?;
    let raw = std::str::from_utf8(payload)
        .map_err(|_| DecodeError::Statement(xapi::extract::ExtractError::Json("payload is not UTF-8".into())))?;
    Ok(StatementRow {
        store: store.to_string(),
        id: f.id,
        ver: u64::MAX - at.offset.max(0) as u64,
        stored_ms: f.stored_ms,
        timestamp_ms: f.timestamp_ms,
        verb_id: f.verb_id,
        actor_key: f.actor_key,
        object_type: f.object_type.as_str().to_string(),
        object_id: f.object_id,
        registration: f.registration.unwrap_or_default(),
        voided_id: f.voided_id.unwrap_or_default(),
        version: f.version,
        raw: raw.to_string(),
        kafka_partition: at.partition,
        kafka_offset: at.offset,
        written_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Position = Position { partition: 3, offset: 41 };

    fn statement() -> String {
        r#"{"id":"9dc99b37-e920-4a68-a066-917faca28949","stored":"2024-01-02T03:04:05.678Z","timestamp":"2024-01-02T03:04:05.000Z","version":"1.0.0","actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://example.com/c"}}"#.to_string()
    }

    #[test]
    fn a_statement_becomes_a_row() {
        let raw = statement();
        let row = to_row(Some("default"), Some(raw.as_bytes()), AT, 7).expect("row");
        assert_eq!(row.store, "default");
        assert_eq!(row.raw, raw, "the stored JSON is the record, byte for byte");
        assert_eq!(row.ver, u64::MAX - 41);
        assert_eq!(row.kafka_partition, 3);
        assert_eq!(row.actor_key, "mbox:mailto:a@example.com");
        assert_eq!(row.object_type, "Activity");
        assert!(row.registration.is_nil());
    }

    #[test]
    fn earlier_offsets_win() {
        let raw = statement();
        let first = to_row(Some("s"), Some(raw.as_bytes()), Position { partition: 0, offset: 1 }, 0).expect("row");
        let later = to_row(Some("s"), Some(raw.as_bytes()), Position { partition: 0, offset: 2 }, 0).expect("row");
        assert!(first.ver > later.ver);
    }

    #[test]
    fn unusable_records_say_why() {
        let raw = statement();
        assert_eq!(to_row(None, Some(raw.as_bytes()), AT, 0), Err(DecodeError::MissingHeader("lrs-store")));
        assert_eq!(to_row(Some("s"), None, AT, 0), Err(DecodeError::NoPayload));
        assert!(to_row(Some("s"), Some(b"not json"), AT, 0).is_err());
        assert!(to_row(Some("s"), Some(&[0xff, 0x00]), AT, 0).is_err());
    }

    /// Every example statement in `schemas/examples/` must turn into a row.
    #[test]
    fn every_schema_example_decodes() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/examples");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).expect("schemas/examples exists") {
            let path = entry.expect("entry").path();
            let bytes = std::fs::read(&path).expect("readable");
            let row = to_row(Some("default"), Some(&bytes), AT, 0);
            assert!(row.is_ok(), "{}: {:?}", path.display(), row.err());
            n += 1;
        }
        assert!(n > 0);
    }
}

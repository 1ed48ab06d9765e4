//! The statement-id log: after each batch is written, the processor publishes the ids it wrote (with their
//! comparison fingerprint and timestamp) to a small topic, one record per store and batch. Gateways tail it
//! to know which ids exist without asking ClickHouse (`ingest::ids`). Layout of a record value: per
//! statement, 16 bytes of id, the fingerprint (u64) and the stored statement's timestamp (i64, epoch ms),
//! big-endian; the store is the record's `lrs-store` header.

use uuid::Uuid;

const ENTRY: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenId {
    pub id: Uuid,
    pub fingerprint: u64,
    pub timestamp_ms: i64,
}

pub fn encode(entries: &[WrittenId]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * ENTRY);
    for e in entries {
        out.extend_from_slice(e.id.as_bytes());
        out.extend_from_slice(&e.fingerprint.to_be_bytes());
        out.extend_from_slice(&e.timestamp_ms.to_be_bytes());
    }
    out
}

/// The entries of a record value; None when its length is not a whole number of entries.
pub fn decode(bytes: &[u8]) -> Option<Vec<WrittenId>> {
    if !bytes.len().is_multiple_of(ENTRY) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(ENTRY)
            .map(|c| {
                let mut id = [0u8; 16];
                id.copy_from_slice(&c[..16]);
                let mut fp = [0u8; 8];
                fp.copy_from_slice(&c[16..24]);
                let mut ts = [0u8; 8];
                ts.copy_from_slice(&c[24..32]);
                WrittenId {
                    id: Uuid::from_bytes(id),
                    fingerprint: u64::from_be_bytes(fp),
                    timestamp_ms: i64::from_be_bytes(ts),
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let e = vec![
            WrittenId { id: Uuid::from_u128(7), fingerprint: u64::MAX, timestamp_ms: -5 },
            WrittenId { id: Uuid::new_v4(), fingerprint: 1, timestamp_ms: 1_700_000_000_000 },
        ];
        assert_eq!(decode(&encode(&e)), Some(e));
        assert_eq!(decode(&[0; 31]), None);
        assert_eq!(decode(&[]), Some(vec![]));
    }
}

//! The pure part of the processor: one Kafka record (the envelope of one write request) in, the rows of every
//! table out, or the reason the record cannot be used (it then goes to the dead-letter topic whole: a request
//! is stored entirely or not at all).

use super::rows::{ActivityRow, AgentRow, AttachmentRow, IndexRow, RecordRows, RefRow, StatementRow, VoidRow};
use crate::analytics::{Change, FactMessage};
use serde_json::Value;
use uuid::Uuid;
use xapi::index::Facts;

/// Where a record came from.
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
    Envelope(#[from] xapi::envelope::EnvelopeError),
    #[error("statement {index}: {error}")]
    Statement { index: usize, error: xapi::extract::ExtractError },
}

impl DecodeError {
    /// A bounded label for the dead-letter metric.
    pub fn kind(&self) -> &'static str {
        match self {
            DecodeError::NoPayload => "no_payload",
            DecodeError::MissingHeader(_) => "missing_header",
            DecodeError::Envelope(_) | DecodeError::Statement { .. } => "undecodable",
        }
    }
}

/// The version of a statement row: earlier `stored` is higher, so readers taking the highest version keep the
/// first write of an id wherever its copies landed. Records stored in the same millisecond are ordered by a
/// value derived from their position, so every reader and every redelivery agrees on the winner.
pub fn version_of(stored_ms: i64, at: Position) -> u64 {
    const STORED_BITS: u32 = 43;
    const TIE_BITS: u32 = 20;
    let stored = stored_ms.clamp(0, (1 << STORED_BITS) - 1) as u64;
    let mix = (at.partition as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (at.offset as u64);
    let tie = mix & ((1 << TIE_BITS) - 1);
    ((((1u64 << STORED_BITS) - 1) - stored) << TIE_BITS) | (((1 << TIE_BITS) - 1) - tie)
}

/// Turns a published envelope into rows. `store` is the record's store header.
pub fn to_rows(
    store: Option<&str>,
    payload: Option<&[u8]>,
    at: Position,
    written_ms: i64,
) -> Result<RecordRows, DecodeError> {
    let store = store.filter(|s| !s.is_empty()).ok_or(DecodeError::MissingHeader(lrs_common::kafka::STORE_HEADER))?;
    let payload = payload.ok_or(DecodeError::NoPayload)?;
    let envelope = xapi::envelope::decode(payload)?;
    let mut out = RecordRows::default();
    let mut stored_ms = 0;
    for (index, s) in envelope.statements.iter().enumerate() {
        let bad = |error| DecodeError::Statement { index, error };
        let f = xapi::extract(s.json).map_err(bad)?;
        let raw =
            std::str::from_utf8(s.json).map_err(|_| bad(xapi::extract::ExtractError::Json("not UTF-8".into())))?;
        let value: Value =
            serde_json::from_str(raw).map_err(|e| bad(xapi::extract::ExtractError::Json(e.to_string())))?;
        let facts = xapi::index::facts(&value);
        let ver = version_of(f.stored_ms, at);
        stored_ms = f.stored_ms;
        let subject = Subject { id: f.id, stored_ms: f.stored_ms, ver, voiding: f.voided_id.is_some() };
        let target = Target { verb_id: &f.verb_id, registration: f.registration.unwrap_or_default(), facts: &facts };
        index_rows(store, &subject, Uuid::nil(), &target, &mut out.index);
        if let Some(voided) = f.voided_id {
            out.voids.push(VoidRow { store: store.to_string(), target: voided, voiding_id: f.id, ver });
            out.facts.push(FactMessage { store: store.to_string(), id: voided, change: Change::Voided });
        } else {
            out.facts.push(FactMessage {
                store: store.to_string(),
                id: f.id,
                change: Change::Statement {
                    ver,
                    timestamp_ms: f.timestamp_ms,
                    stored_ms: f.stored_ms,
                    fact: xapi::analytics::fact(&value),
                },
            });
        }
        if let Some(target) = facts.statement_ref {
            out.refs.push(RefRow {
                store: store.to_string(),
                target,
                referrer: f.id,
                referrer_stored_ms: f.stored_ms,
                referrer_ver: ver,
                referrer_voiding: subject.voiding as u8,
            });
        }
        for (activity_id, definition) in &facts.activity_definitions {
            let definition = if definition.is_null() { String::new() } else { definition.to_string() };
            out.activities.push(ActivityRow {
                store: store.to_string(),
                activity_id: activity_id.clone(),
                // Stable across processors and builds: the same definition is one row key everywhere.
                definition_hash: xapi::compare::fnv1a(definition.as_bytes()),
                stored_ms: f.stored_ms,
                statement_id: f.id,
                definition,
            });
        }
        for (key, agent) in &facts.named_agents {
            out.agents.push(AgentRow {
                store: store.to_string(),
                key: key.clone(),
                agent: agent.to_string(),
                stored_ms: f.stored_ms,
            });
        }
        out.statements.push(StatementRow {
            store: store.to_string(),
            id: f.id,
            ver,
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
            fingerprint: s.fingerprint,
        });
    }
    for a in &envelope.attachments {
        out.attachments.push(AttachmentRow {
            store: store.to_string(),
            sha2: a.sha2.to_string(),
            content_type: a.content_type.to_string(),
            content: a.content.to_vec(),
            stored_ms,
        });
    }
    Ok(out)
}

/// Keeps one row per key (the last pushed, which carries the newest `stored` within a batch): a batch of a
/// popular activity or agent writes it once, not once per statement.
pub fn dedup_by<T, K: std::hash::Hash + Eq>(rows: &mut Vec<T>, key: impl Fn(&T) -> K) {
    let mut seen = std::collections::HashSet::with_capacity(rows.len());
    let mut kept: Vec<T> = Vec::with_capacity(rows.len());
    for row in std::mem::take(rows).into_iter().rev() {
        if seen.insert(key(&row)) {
            kept.push(row);
        }
    }
    kept.reverse();
    *rows = kept;
}

/// The statement a set of index rows returns.
#[derive(Debug, Clone, Copy)]
pub struct Subject {
    pub id: Uuid,
    pub stored_ms: i64,
    pub ver: u64,
    pub voiding: bool,
}

/// The statement whose properties the rows' filters match: the subject itself, or its StatementRef target.
pub struct Target<'a> {
    pub verb_id: &'a str,
    pub registration: Uuid,
    pub facts: &'a Facts,
}

/// The index rows of `subject` matched through `target` (`via` = nil: its own rows, which alone carry the
/// store's timeline, `all`; otherwise the target's id).
pub fn index_rows(store: &str, subject: &Subject, via: Uuid, target: &Target, out: &mut Vec<IndexRow>) {
    let row = |dim: &'static str, key: &str| {
        let carried = xapi::index::carried(dim);
        let list = |on: bool, v: &Vec<String>| if on { v.clone() } else { Vec::new() };
        IndexRow {
            store: store.to_string(),
            dim,
            key: key.to_string(),
            stored_ms: subject.stored_ms,
            id: subject.id,
            via,
            ver: subject.ver,
            voiding: subject.voiding as u8,
            verb_id: if carried.verb { target.verb_id.to_string() } else { String::new() },
            agents: list(carried.agents, &target.facts.agents),
            related_agents: list(carried.related_agents, &target.facts.related_agents),
            activity: if carried.activity { target.facts.activity.clone() } else { String::new() },
            related_activities: list(carried.related_activities, &target.facts.related_activities),
            registration: if carried.registration { target.registration } else { Uuid::nil() },
        }
    };
    if via.is_nil() {
        out.push(row("all", ""));
        // A credential limited to `statements/read/mine` reads its own statements along this key.
        if let Some(authority) = &target.facts.authority {
            out.push(row("authority", authority));
        }
    }
    out.push(row("verb", target.verb_id));
    for key in &target.facts.related_agents {
        out.push(row("agent", key));
    }
    for key in &target.facts.related_activities {
        out.push(row("activity", key));
    }
    if !target.registration.is_nil() {
        out.push(row("registration", &target.registration.hyphenated().to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xapi::envelope::{Envelope, EnvelopeAttachment, EnvelopeStatement};

    const AT: Position = Position { partition: 3, offset: 41 };

    fn statement() -> String {
        r#"{"id":"9dc99b37-e920-4a68-a066-917faca28949","stored":"2024-01-02T03:04:05.678Z","timestamp":"2024-01-02T03:04:05.000Z","version":"1.0.0","actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://example.com/c"},"context":{"registration":"ec531277-b57b-4c15-8d91-d292c5b2b8f7"}}"#.to_string()
    }

    fn envelope(statements: &[&str]) -> Vec<u8> {
        Envelope {
            statements: statements.iter().map(|s| EnvelopeStatement { fingerprint: 5, json: s.as_bytes() }).collect(),
            attachments: vec![],
        }
        .encode()
        .unwrap()
    }

    #[test]
    fn a_statement_becomes_rows() {
        let raw = statement();
        let rows = to_rows(Some("default"), Some(&envelope(&[&raw])), AT, 7).expect("rows");
        let row = &rows.statements[0];
        assert_eq!(row.store, "default");
        assert_eq!(row.raw, raw, "the stored JSON is the published statement, byte for byte");
        assert_eq!(row.fingerprint, 5);
        assert_eq!(row.kafka_partition, 3);
        assert_eq!(row.actor_key, "mbox:mailto:a@example.com");
        let dims: Vec<(&str, &str)> = rows.index.iter().map(|r| (r.dim, r.key.as_str())).collect();
        assert_eq!(
            dims,
            vec![
                ("all", ""),
                ("verb", "http://adlnet.gov/expapi/verbs/completed"),
                ("agent", "mbox:mailto:a@example.com"),
                ("activity", "http://example.com/c"),
                ("registration", "ec531277-b57b-4c15-8d91-d292c5b2b8f7"),
            ]
        );
        assert!(rows.index.iter().all(|r| r.via.is_nil() && r.ver == row.ver && r.voiding == 0));
        assert_eq!(rows.activities.len(), 1);
        assert_eq!(rows.agents.len(), 1);
        assert!(rows.voids.is_empty() && rows.refs.is_empty());
    }

    #[test]
    fn voiding_statements_write_a_void_and_a_ref() {
        let raw = r#"{"id":"11111111-e920-4a68-a066-917faca28949","stored":"2024-01-02T03:04:05.678Z","actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"objectType":"StatementRef","id":"9dc99b37-e920-4a68-a066-917faca28949"}}"#;
        let rows = to_rows(Some("s"), Some(&envelope(&[raw])), AT, 0).expect("rows");
        assert_eq!(rows.voids.len(), 1);
        assert_eq!(rows.voids[0].target.to_string(), "9dc99b37-e920-4a68-a066-917faca28949");
        assert_eq!(rows.refs.len(), 1);
        assert_eq!(rows.refs[0].referrer_voiding, 1);
        assert!(rows.index.iter().all(|r| r.voiding == 1));
    }

    #[test]
    fn earlier_stored_wins_and_ties_are_deterministic() {
        let a = version_of(1_000, Position { partition: 5, offset: 900 });
        let b = version_of(1_001, Position { partition: 0, offset: 1 });
        assert!(a > b);
        assert_eq!(version_of(1_000, AT), version_of(1_000, AT));
        assert_ne!(version_of(1_000, AT), version_of(1_000, Position { partition: 3, offset: 42 }));
    }

    #[test]
    fn attachments_ride_along() {
        let raw = statement();
        let bytes = Envelope {
            statements: vec![EnvelopeStatement { fingerprint: 0, json: raw.as_bytes() }],
            attachments: vec![EnvelopeAttachment { sha2: "ab", content_type: "text/plain", content: b"hi" }],
        }
        .encode()
        .unwrap();
        let rows = to_rows(Some("s"), Some(&bytes), AT, 0).expect("rows");
        assert_eq!(rows.attachments[0].content, b"hi");
        assert_eq!(rows.attachments[0].stored_ms, rows.statements[0].stored_ms);
    }

    #[test]
    fn unusable_records_say_why() {
        let ok = envelope(&[&statement()]);
        assert_eq!(to_rows(None, Some(&ok), AT, 0), Err(DecodeError::MissingHeader("lrs-store")));
        assert_eq!(to_rows(Some("s"), None, AT, 0), Err(DecodeError::NoPayload));
        assert!(matches!(to_rows(Some("s"), Some(b"not json"), AT, 0), Err(DecodeError::Envelope(_))));
        assert!(matches!(
            to_rows(Some("s"), Some(&envelope(&["{}"])), AT, 0),
            Err(DecodeError::Statement { index: 0, .. })
        ));
        assert!(to_rows(Some("s"), Some(&envelope(&[&statement(), "\u{ff}"])), AT, 0).is_err());
    }
}

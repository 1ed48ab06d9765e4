//! Applying a batch of commands to the documents they touch, in memory and in order. Pure: the consumer
//! loads `Current` before and stores the returned rows after.

use super::rows::{DocumentRow, OutcomeRow};
use std::collections::BTreeMap;
use xapi::document::{decide, Command, Decision, DocKey, Document, Kind, Op, Refusal, Rejection, APPLIED};

/// One decoded command record.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub store: String,
    pub partition: i32,
    pub offset: i64,
    pub command: Command,
    pub body: Vec<u8>,
}

/// The live documents the batch can touch, by store and key (deleted documents are absent).
pub type Current = BTreeMap<(String, DocKey), Document>;

#[derive(Debug, Default)]
pub struct Applied {
    pub documents: Vec<DocumentRow>,
    pub outcomes: Vec<OutcomeRow>,
}

/// Decides every command of `batch` in order against `current` (updated as it goes), returning the document
/// versions to store (version = the command's offset) and one outcome per command.
pub fn apply(batch: &[Incoming], current: &mut Current, now_ms: i64) -> Applied {
    let mut out = Applied::default();
    for inc in batch {
        let cmd = &inc.command;
        let refused = if cmd.op == Op::DeleteAll {
            delete_all(inc, current, &mut out.documents)
        } else {
            let key = (inc.store.clone(), cmd.key.clone());
            match decide(cmd, &inc.body, current.get(&key)) {
                Decision::Write(doc) => {
                    out.documents.push(row(inc, &cmd.key, Some(&doc)));
                    current.insert(key, doc);
                    None
                }
                Decision::Delete => {
                    out.documents.push(row(inc, &cmd.key, None));
                    current.remove(&key);
                    None
                }
                Decision::Nothing => None,
                Decision::Reject(rejection) => Some(rejection),
            }
        };
        let (code, message) = match refused {
            None => (APPLIED.to_string(), String::new()),
            Some(r) => (r.refusal.code().to_string(), r.message),
        };
        out.outcomes.push(OutcomeRow {
            store: inc.store.clone(),
            command_id: cmd.id,
            code,
            message,
            written_ms: now_ms,
        });
    }
    out
}

fn delete_all(inc: &Incoming, current: &mut Current, rows: &mut Vec<DocumentRow>) -> Option<Rejection> {
    if inc.command.key.kind != Kind::State {
        return Some(Rejection::new(Refusal::BadRequest, "only the State resource deletes several documents at once"));
    }
    let doomed: Vec<(String, DocKey)> =
        current.keys().filter(|(store, key)| *store == inc.store && inc.command.key.covers(key)).cloned().collect();
    for key in doomed {
        rows.push(row(inc, &key.1, None));
        current.remove(&key);
    }
    None
}

/// A version row: the document, or a tombstone when `doc` is None.
fn row(inc: &Incoming, key: &DocKey, doc: Option<&Document>) -> DocumentRow {
    DocumentRow {
        store: inc.store.clone(),
        kind: key.kind.as_str().to_string(),
        activity_id: key.activity_id.clone(),
        agent_key: key.agent_key.clone(),
        registration: key.registration.clone(),
        doc_id: key.doc_id.clone(),
        ver: inc.offset.max(0) as u64,
        deleted: u8::from(doc.is_none()),
        content_type: doc.map(|d| d.content_type.clone()).unwrap_or_default(),
        content: doc.map(|d| d.content.clone()).unwrap_or_default(),
        etag: doc.map(|d| d.etag.clone()).unwrap_or_default(),
        updated_ms: doc.map(|d| d.updated_ms).unwrap_or(inc.command.at_ms),
        command_id: inc.command.id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incoming(offset: i64, op: Op, doc_id: &str, registration: &str, body: &str) -> Incoming {
        Incoming {
            store: "s".into(),
            partition: 0,
            offset,
            command: Command {
                id: uuid::Uuid::new_v4(),
                op,
                key: DocKey {
                    kind: Kind::State,
                    activity_id: "http://example.com/a".into(),
                    agent_key: "mbox:mailto:a@example.com".into(),
                    registration: registration.into(),
                    doc_id: doc_id.into(),
                },
                version: "1.0.3".into(),
                if_match: None,
                if_none_match: None,
                content_type: "application/json".into(),
                at_ms: 100 + offset,
            },
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn commands_see_the_effects_of_earlier_ones() {
        let mut put = incoming(7, Op::Put, "d", "", r#"{"a":1}"#);
        put.command.if_none_match = Some("*".into());
        let post = incoming(8, Op::Post, "d", "", r#"{"b":2}"#);
        let mut again = incoming(9, Op::Put, "d", "", "{}");
        again.command.if_none_match = Some("*".into());
        let mut current = Current::new();
        let applied = apply(&[put, post, again], &mut current, 0);
        let codes: Vec<&str> = applied.outcomes.iter().map(|o| o.code.as_str()).collect();
        assert_eq!(codes, vec!["applied", "applied", "precondition_failed"]);
        assert_eq!(applied.documents.len(), 2);
        assert_eq!(applied.documents[1].content, br#"{"a":1,"b":2}"#.to_vec());
        assert_eq!((applied.documents[1].ver, applied.documents[1].updated_ms), (8, 108));
        assert_eq!(current.len(), 1);
    }

    #[test]
    fn two_writers_with_one_etag_exactly_one_wins() {
        let mut current = Current::new();
        apply(&[incoming(1, Op::Put, "d", "", "{}")], &mut current, 0);
        let tag = current.values().next().expect("stored").etag.clone();
        let mut first = incoming(2, Op::Put, "d", "", r#"{"w":1}"#);
        let mut second = incoming(3, Op::Put, "d", "", r#"{"w":2}"#);
        first.command.if_match = Some(tag.clone());
        second.command.if_match = Some(tag);
        let codes: Vec<String> =
            apply(&[first, second], &mut current, 0).outcomes.into_iter().map(|o| o.code).collect();
        assert_eq!(codes, vec!["applied", "precondition_failed"]);
    }

    #[test]
    fn delete_all_tombstones_the_scope_and_respects_registration() {
        let mut current = Current::new();
        let setup = [
            incoming(1, Op::Put, "x", "", "{}"),
            incoming(2, Op::Put, "y", "r1", "{}"),
            incoming(3, Op::Put, "z", "r2", "{}"),
        ];
        apply(&setup, &mut current, 0);
        let scoped = apply(&[incoming(4, Op::DeleteAll, "", "r1", "")], &mut current, 0);
        assert_eq!(scoped.documents.len(), 1);
        assert_eq!((scoped.documents[0].doc_id.as_str(), scoped.documents[0].deleted), ("y", 1));
        let all = apply(&[incoming(5, Op::DeleteAll, "", "", "")], &mut current, 0);
        assert_eq!(all.documents.len(), 2);
        assert!(current.is_empty());
        assert_eq!(all.outcomes[0].code, "applied");
    }

    #[test]
    fn deleting_a_missing_document_writes_nothing() {
        let applied = apply(&[incoming(1, Op::Delete, "d", "", "")], &mut Current::new(), 0);
        assert!(applied.documents.is_empty());
        assert_eq!(applied.outcomes[0].code, "applied");
    }
}

//! The StatementRef rule of GET /statements: a filter also returns the statements that target a matching
//! statement. Such a referrer gets index rows carrying its target's properties (`via` = the target). Either may
//! be written first: a batch indexes its referrers through targets found in the batch or already stored, and
//! its statements as targets of referrers already stored (found through `statement_refs`).

use super::rows::{IndexRow, RefRow, StatementRow};
use super::transform::{index_rows, Subject, Target};
use crate::clickhouse::RowSink;
use lrs_common::clickhouse::DbError;
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// A statement as a target: what its filters match.
struct TargetFacts {
    verb_id: String,
    registration: Uuid,
    facts: xapi::index::Facts,
}

fn target_facts(raw: &str) -> Option<TargetFacts> {
    let f = xapi::extract(raw.as_bytes()).ok()?;
    let value: serde_json::Value = serde_json::from_str(raw).ok()?;
    Some(TargetFacts {
        verb_id: f.verb_id,
        registration: f.registration.unwrap_or_default(),
        facts: xapi::index::facts(&value),
    })
}

/// Index rows linking referrers and targets for the statements of one batch.
pub async fn via_rows(
    statements: &[StatementRow],
    refs: &[RefRow],
    sink: &dyn RowSink,
) -> Result<Vec<IndexRow>, DbError> {
    let mut out = Vec::new();
    if statements.is_empty() {
        return Ok(out);
    }
    let in_batch: HashMap<(&str, Uuid), &StatementRow> =
        statements.iter().map(|s| ((s.store.as_str(), s.id), s)).collect();
    let mut targets: HashMap<(String, Uuid), Option<TargetFacts>> = HashMap::new();
    for r in refs {
        let facts = in_batch.get(&(r.store.as_str(), r.target)).and_then(|s| target_facts(&s.raw));
        targets.insert((r.store.clone(), r.target), facts);
    }
    // Targets stored by earlier batches.
    let mut missing: BTreeMap<&str, Vec<Uuid>> = BTreeMap::new();
    for ((store, id), facts) in &targets {
        if facts.is_none() {
            missing.entry(store.as_str()).or_default().push(*id);
        }
    }
    let mut found = Vec::new();
    for (store, ids) in missing {
        for (id, raw) in sink.statements_by_id(store, &ids).await? {
            found.push(((store.to_string(), id), target_facts(&raw)));
        }
    }
    targets.extend(found);
    let mut linked: HashSet<(Uuid, Uuid)> = HashSet::new();
    for r in refs {
        if let Some(Some(t)) = targets.get(&(r.store.clone(), r.target)) {
            link(r, t, &mut out);
            linked.insert((r.referrer, r.target));
        }
    }
    // Referrers stored by earlier batches, of this batch's statements.
    let mut by_store: BTreeMap<&str, Vec<Uuid>> = BTreeMap::new();
    for s in statements {
        by_store.entry(s.store.as_str()).or_default().push(s.id);
    }
    for (store, ids) in by_store {
        for r in sink.referrers_of(store, &ids).await? {
            if linked.contains(&(r.referrer, r.target)) {
                continue;
            }
            if let Some(t) = in_batch.get(&(store, r.target)).and_then(|s| target_facts(&s.raw)) {
                link(&r, &t, &mut out);
            }
        }
    }
    Ok(out)
}

fn link(r: &RefRow, t: &TargetFacts, out: &mut Vec<IndexRow>) {
    let subject = Subject {
        id: r.referrer,
        stored_ms: r.referrer_stored_ms,
        ver: r.referrer_ver,
        voiding: r.referrer_voiding != 0,
    };
    let target = Target { verb_id: &t.verb_id, registration: t.registration, facts: &t.facts };
    index_rows(&r.store, &subject, r.target, &target, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statements::rows::{RecordRows, WatermarkRow};
    use crate::statements::transform::{to_rows, Position};
    use futures::future::BoxFuture;
    use xapi::envelope::{Envelope, EnvelopeStatement};

    const TARGET: &str = "9dc99b37-e920-4a68-a066-917faca28949";

    /// A store holding earlier batches' statements and StatementRefs.
    #[derive(Default)]
    struct Stored {
        statements: Vec<StatementRow>,
        refs: Vec<RefRow>,
    }

    impl RowSink for Stored {
        fn write_tables<'a>(&'a self, _: &'a RecordRows) -> BoxFuture<'a, Result<(), DbError>> {
            Box::pin(async { Ok(()) })
        }
        fn write_watermarks<'a>(&'a self, _: &'a [WatermarkRow]) -> BoxFuture<'a, Result<(), DbError>> {
            Box::pin(async { Ok(()) })
        }
        fn statements_by_id<'a>(
            &'a self,
            store: &'a str,
            ids: &'a [Uuid],
        ) -> BoxFuture<'a, Result<Vec<(Uuid, String)>, DbError>> {
            let found = self
                .statements
                .iter()
                .filter(|s| s.store == store && ids.contains(&s.id))
                .map(|s| (s.id, s.raw.clone()))
                .collect();
            Box::pin(async move { Ok(found) })
        }
        fn referrers_of<'a>(
            &'a self,
            store: &'a str,
            targets: &'a [Uuid],
        ) -> BoxFuture<'a, Result<Vec<RefRow>, DbError>> {
            let found = self.refs.iter().filter(|r| r.store == store && targets.contains(&r.target)).cloned().collect();
            Box::pin(async move { Ok(found) })
        }
    }

    fn rows(json: &str, offset: i64) -> RecordRows {
        let bytes = Envelope {
            statements: vec![EnvelopeStatement { fingerprint: 0, json: json.as_bytes() }],
            attachments: vec![],
        }
        .encode()
        .unwrap();
        to_rows(Some("s"), Some(&bytes), Position { partition: 0, offset }, 0).expect("rows")
    }

    fn target() -> RecordRows {
        rows(
            &format!(
                r#"{{"id":"{TARGET}","stored":"2024-01-02T03:04:05.678Z","actor":{{"mbox":"mailto:t@x.org"}},"verb":{{"id":"http://v/target"}},"object":{{"id":"http://act/t"}}}}"#
            ),
            1,
        )
    }

    fn referrer() -> RecordRows {
        rows(
            &format!(
                r#"{{"id":"11111111-e920-4a68-a066-917faca28949","stored":"2024-01-02T03:04:06.000Z","actor":{{"mbox":"mailto:r@x.org"}},"verb":{{"id":"http://v/ref"}},"object":{{"objectType":"StatementRef","id":"{TARGET}"}}}}"#
            ),
            2,
        )
    }

    fn linked(via: &[IndexRow]) -> Vec<(&str, &str)> {
        let mut v: Vec<(&str, &str)> = via.iter().map(|r| (r.dim, r.key.as_str())).collect();
        v.sort();
        v
    }

    const EXPECTED: [(&str, &str); 3] =
        [("activity", "http://act/t"), ("agent", "mbox:mailto:t@x.org"), ("verb", "http://v/target")];

    #[tokio::test]
    async fn a_referrer_is_indexed_through_a_stored_target() {
        let sink = Stored { statements: target().statements, refs: vec![] };
        let r = referrer();
        let via = via_rows(&r.statements, &r.refs, &sink).await.expect("linked");
        assert_eq!(linked(&via), EXPECTED.to_vec());
        assert!(via.iter().all(|row| row.id == r.statements[0].id && row.via.to_string() == TARGET));
    }

    #[tokio::test]
    async fn a_target_links_the_referrers_stored_before_it() {
        let r = referrer();
        let sink = Stored { statements: r.statements.clone(), refs: r.refs.clone() };
        let t = target();
        let via = via_rows(&t.statements, &t.refs, &sink).await.expect("linked");
        assert_eq!(linked(&via), EXPECTED.to_vec());
        assert!(via.iter().all(|row| row.id == r.statements[0].id && row.stored_ms == r.statements[0].stored_ms));
    }

    #[tokio::test]
    async fn both_in_one_batch() {
        let (t, r) = (target(), referrer());
        let statements: Vec<StatementRow> = t.statements.into_iter().chain(r.statements).collect();
        let via = via_rows(&statements, &r.refs, &Stored::default()).await.expect("linked");
        assert_eq!(linked(&via), EXPECTED.to_vec());
    }
}

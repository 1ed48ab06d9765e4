//! The StatementRef rule of GET /statements: a filter also returns the statements that target a matching
//! statement. Such a referrer gets index rows carrying its target's properties (`via` = the target). Either may
//! be written first: a batch indexes its referrers through targets found in the batch or already stored, and
//! its statements as targets of referrers already stored (found through `statement_refs`).

use crate::clickhouse::rows::{IndexRow, RefRow, StatementRow};
use crate::clickhouse::{RowSink, SinkError};
use crate::transform::{index_rows, Subject, Target};
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
    Some(TargetFacts { verb_id: f.verb_id, registration: f.registration.unwrap_or_default(), facts: xapi::index::facts(&value) })
}

/// Index rows linking referrers and targets for the statements of one batch.
pub async fn via_rows(statements: &[StatementRow], refs: &[RefRow], sink: &dyn RowSink) -> Result<Vec<IndexRow>, SinkError> {
    let mut out = Vec::new();
    if statements.is_empty() {
        return Ok(out);
    }
    let in_batch: HashMap<(&str, Uuid), &StatementRow> = statements.iter().map(|s| ((s.store.as_str(), s.id), s)).collect();
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
    let subject = Subject { id: r.referrer, stored_ms: r.referrer_stored_ms, ver: r.referrer_ver, voiding: r.referrer_voiding != 0 };
    let target = Target { verb_id: &t.verb_id, registration: t.registration, facts: &t.facts };
    index_rows(&r.store, &subject, r.target, &target, out);
}

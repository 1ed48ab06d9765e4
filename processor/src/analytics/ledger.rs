//! The decisions of the analytics stage, pure: from what the ledger already holds for some ids and the
//! messages of a batch (in partition order), the rows to append. Per id, at most one version counts: the
//! stored winner (highest `ver`), unless the id is voided, in whichever order the voiding and the statement
//! arrive. Every decision is written as rows, so reading them back reproduces the state exactly.

use super::message::{Change, FactMessage};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A row of `analytics_facts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clickhouse::Row)]
pub struct FactRow {
    pub store: String,
    #[serde(with = "clickhouse::serde::uuid")]
    pub id: Uuid,
    pub ver: u64,
    /// +1 counts, -1 takes a counted version back, 0 marks the id voided.
    pub sign: i8,
    pub timestamp_ms: i64,
    pub stored_ms: i64,
    pub verb: String,
    pub activity: String,
    pub activity_type: String,
    pub actor: String,
    pub registration: String,
    pub platform: String,
    pub parents: Vec<String>,
    pub groupings: Vec<String>,
    pub score: f64,
    pub has_score: u8,
    /// -1 absent, 0 false, 1 true.
    pub success: i8,
    pub completion: i8,
    pub duration_ms: i64,
    pub has_duration: u8,
}

fn flag(b: Option<bool>) -> i8 {
    b.map_or(-1, i8::from)
}

impl FactRow {
    fn counted(store: &str, id: Uuid, ver: u64, timestamp_ms: i64, stored_ms: i64, f: &xapi::analytics::Fact) -> Self {
        FactRow {
            store: store.to_string(),
            id,
            ver,
            sign: 1,
            timestamp_ms,
            stored_ms,
            verb: f.verb.clone(),
            activity: f.activity.clone(),
            activity_type: f.activity_type.clone(),
            actor: f.actor.clone(),
            registration: f.registration.clone(),
            platform: f.platform.clone(),
            parents: f.parents.clone(),
            groupings: f.groupings.clone(),
            score: f.score.unwrap_or(0.0),
            has_score: u8::from(f.score.is_some()),
            success: flag(f.success),
            completion: flag(f.completion),
            duration_ms: f.duration_ms.unwrap_or(0),
            has_duration: u8::from(f.duration_ms.is_some()),
        }
    }

    fn marker(store: &str, id: Uuid) -> Self {
        FactRow {
            store: store.to_string(),
            id,
            ver: 0,
            sign: 0,
            timestamp_ms: 0,
            stored_ms: 0,
            verb: String::new(),
            activity: String::new(),
            activity_type: String::new(),
            actor: String::new(),
            registration: String::new(),
            platform: String::new(),
            parents: Vec::new(),
            groupings: Vec::new(),
            score: 0.0,
            has_score: 0,
            success: -1,
            completion: -1,
            duration_ms: 0,
            has_duration: 0,
        }
    }

    fn retracted(&self) -> Self {
        FactRow { sign: -1, ..self.clone() }
    }
}

/// What is known of one id.
#[derive(Debug, Default)]
struct IdState {
    counted: Option<FactRow>,
    retracted: HashSet<u64>,
    voided: bool,
}

/// Rebuilds each id's state from its ledger rows (in any order).
fn states(existing: Vec<FactRow>) -> HashMap<(String, Uuid), IdState> {
    let mut out: HashMap<(String, Uuid), IdState> = HashMap::new();
    let mut plus: HashMap<(String, Uuid), Vec<FactRow>> = HashMap::new();
    for row in existing {
        let key = (row.store.clone(), row.id);
        let state = out.entry(key.clone()).or_default();
        match row.sign {
            0 => state.voided = true,
            s if s < 0 => {
                state.retracted.insert(row.ver);
            }
            _ => plus.entry(key).or_default().push(row),
        }
    }
    for (key, rows) in plus {
        let state = out.entry(key).or_default();
        state.counted = rows.into_iter().find(|r| !state.retracted.contains(&r.ver));
    }
    out
}

/// The rows to append for `messages`, given the ledger rows already stored for their ids.
pub fn decide(existing: Vec<FactRow>, messages: &[FactMessage]) -> Vec<FactRow> {
    let mut state = states(existing);
    let mut out = Vec::new();
    for m in messages {
        let s = state.entry((m.store.clone(), m.id)).or_default();
        match &m.change {
            Change::Voided => {
                if s.voided {
                    continue;
                }
                out.push(FactRow::marker(&m.store, m.id));
                if let Some(c) = s.counted.take() {
                    s.retracted.insert(c.ver);
                    out.push(c.retracted());
                }
                s.voided = true;
            }
            Change::Statement { ver, timestamp_ms, stored_ms, fact } => {
                if s.voided || s.retracted.contains(ver) {
                    continue;
                }
                let new = || FactRow::counted(&m.store, m.id, *ver, *timestamp_ms, *stored_ms, fact);
                match &s.counted {
                    Some(c) if c.ver >= *ver => {}
                    Some(c) => {
                        let (old, row) = (c.retracted(), new());
                        s.retracted.insert(c.ver);
                        out.push(old);
                        out.push(row.clone());
                        s.counted = Some(row);
                    }
                    None => {
                        let row = new();
                        out.push(row.clone());
                        s.counted = Some(row);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use xapi::analytics::Fact;

    fn statement(id: Uuid, ver: u64) -> FactMessage {
        FactMessage {
            store: "s".into(),
            id,
            change: Change::Statement {
                ver,
                timestamp_ms: 1,
                stored_ms: 2,
                fact: Fact { verb: "http://v".into(), ..Fact::default() },
            },
        }
    }

    fn voided(id: Uuid) -> FactMessage {
        FactMessage { store: "s".into(), id, change: Change::Voided }
    }

    fn signs(rows: &[FactRow]) -> Vec<(i8, u64)> {
        rows.iter().map(|r| (r.sign, r.ver)).collect()
    }

    /// The net count per version after applying `batches` one after another, each against what the previous
    /// ones wrote (as the stage does, batch by batch).
    fn run(batches: &[Vec<FactMessage>]) -> Vec<FactRow> {
        let mut ledger = Vec::new();
        for b in batches {
            let rows = decide(ledger.clone(), b);
            ledger.extend(rows);
        }
        ledger
    }

    fn net(ledger: &[FactRow]) -> i64 {
        ledger.iter().map(|r| i64::from(r.sign)).sum()
    }

    #[test]
    fn a_statement_counts_once_however_often_it_is_delivered() {
        let id = Uuid::new_v4();
        let ledger = run(&[vec![statement(id, 5), statement(id, 5)], vec![statement(id, 5)]]);
        assert_eq!(signs(&ledger), vec![(1, 5)]);
    }

    #[test]
    fn voided_after_or_before_its_target_does_not_count() {
        let id = Uuid::new_v4();
        let after = run(&[vec![statement(id, 5)], vec![voided(id)], vec![statement(id, 5), voided(id)]]);
        assert_eq!(net(&after), 0);
        assert_eq!(signs(&after), vec![(1, 5), (0, 0), (-1, 5)]);
        let before = run(&[vec![voided(id)], vec![statement(id, 5)], vec![voided(id), statement(id, 5)]]);
        assert_eq!(signs(&before), vec![(0, 0)]);
        let same_batch = run(&[vec![statement(id, 5), voided(id), statement(id, 5)]]);
        assert_eq!(net(&same_batch), 0);
    }

    #[test]
    fn the_stored_winner_counts_whichever_arrives_first() {
        let id = Uuid::new_v4();
        // A higher version was stored earlier and wins; arriving second, it replaces the first.
        let ledger = run(&[vec![statement(id, 5)], vec![statement(id, 9)], vec![statement(id, 5)]]);
        assert_eq!(signs(&ledger), vec![(1, 5), (-1, 5), (1, 9)]);
        let ledger = run(&[vec![statement(id, 9), statement(id, 5)]]);
        assert_eq!(signs(&ledger), vec![(1, 9)]);
    }

    #[test]
    fn a_redelivered_batch_after_a_crash_changes_nothing() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let batch = vec![statement(a, 1), voided(b), statement(b, 2), statement(a, 3)];
        let first = decide(Vec::new(), &batch);
        assert!(decide(first.clone(), &batch).is_empty());
    }
}

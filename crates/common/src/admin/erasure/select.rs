//! What an erasure removes: found before anything is deleted, so a job that is run again finds the same.

use crate::clickhouse::{uuid_in_list, Db, DbError};
use serde_json::Value;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Ids per query: well inside the query text limit (about 39 bytes an id).
pub const CHUNK: usize = 50_000;

#[derive(clickhouse::Row, serde::Deserialize)]
struct Id {
    #[serde(with = "clickhouse::serde::uuid")]
    id: Uuid,
}

pub fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Every statement stored by the cutoff that names the person in any role, and every statement referring to
/// one of those by StatementRef (to any depth).
pub async fn statements(db: &Db, store: &str, keys: &[String], cutoff_ms: i64) -> Result<Vec<Uuid>, DbError> {
    let sql = format!(
        "SELECT DISTINCT id FROM statement_index WHERE store = ? AND dim = 'agent' AND key IN ({}) AND stored_ms <= ?",
        placeholders(keys.len())
    );
    let mut q = db.query(&sql).bind(store);
    for k in keys {
        q = q.bind(k.as_str());
    }
    let named: Vec<Id> = q.bind(cutoff_ms).fetch_all().await?;
    let mut all: BTreeSet<Uuid> = named.iter().map(|r| r.id).collect();
    let mut frontier: Vec<Uuid> = all.iter().copied().collect();
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for chunk in frontier.chunks(CHUNK) {
            let sql = format!(
                "SELECT DISTINCT referrer AS id FROM statement_refs WHERE store = ? AND target IN ({}) \
                 AND referrer_stored_ms <= ?",
                uuid_in_list(chunk)
            );
            let referrers: Vec<Id> = db.query(&sql).bind(store).bind(cutoff_ms).fetch_all().await?;
            next.extend(referrers.into_iter().map(|r| r.id).filter(|id| all.insert(*id)));
        }
        frontier = next;
    }
    Ok(all.into_iter().collect())
}

/// The SHA-256 of the attachments the statements `ids` carry that no other statement of the store carries.
pub async fn unshared_attachments(db: &Db, store: &str, ids: &[Uuid]) -> Result<Vec<String>, DbError> {
    let mut carried = BTreeSet::new();
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT raw FROM statements WHERE store = ? AND id IN ({}) AND position(raw, '\"attachments\"') > 0",
            uuid_in_list(chunk)
        );
        let raws: Vec<String> = db.query(&sql).bind(store).fetch_all().await?;
        for raw in raws {
            carried.extend(attachment_hashes(&raw));
        }
    }
    if carried.is_empty() {
        return Ok(Vec::new());
    }
    let hashes: Vec<String> = carried.into_iter().collect();
    let not_erased =
        ids.chunks(CHUNK).map(|c| format!("id NOT IN ({})", uuid_in_list(c))).collect::<Vec<_>>().join(" AND ");
    let mut unshared = Vec::new();
    // One scan of the store per hundred hashes (the needles must be constants on ClickHouse 18.16); the erased
    // statements do not count as users.
    for group in hashes.chunks(100) {
        let used = vec!["max(position(raw, ?) > 0)"; group.len()].join(", ");
        let sql = format!("SELECT [{used}] FROM statements WHERE store = ? AND {not_erased}");
        let mut q = db.query(&sql);
        for h in group {
            q = q.bind(h.as_str());
        }
        let used: Vec<u8> = q.bind(store).fetch_one().await?;
        unshared.extend(
            group
                .iter()
                .zip(used.iter().chain(std::iter::repeat(&1)))
                .filter(|(_, u)| **u == 0)
                .map(|(h, _)| h.clone()),
        );
    }
    Ok(unshared)
}

/// The `sha2` of each attachment a stored statement lists.
fn attachment_hashes(raw: &str) -> Vec<String> {
    let Ok(statement) = serde_json::from_str::<Value>(raw) else {
        return Vec::new();
    };
    statement
        .get("attachments")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(|a| a.get("sha2").and_then(Value::as_str)).map(String::from).collect())
        .unwrap_or_default()
}

/// How many state and agent profile documents of the person were written by the cutoff.
pub async fn documents(db: &Db, store: &str, keys: &[String], cutoff_ms: i64) -> Result<u64, DbError> {
    let sql = format!(
        "SELECT count() FROM (SELECT kind FROM documents WHERE store = ? AND agent_key IN ({}) AND updated_ms <= ? \
         GROUP BY kind, activity_id, agent_key, registration, doc_id)",
        placeholders(keys.len())
    );
    let mut q = db.query(&sql).bind(store);
    for k in keys {
        q = q.bind(k.as_str());
    }
    q.bind(cutoff_ms).fetch_one().await
}

#[cfg(test)]
mod tests {
    #[test]
    fn attachment_hashes() {
        let raw = r#"{"id":"x","attachments":[{"sha2":"aa","usageType":"u"},{"fileUrl":"http://f"},{"sha2":"bb"}]}"#;
        assert_eq!(super::attachment_hashes(raw), ["aa", "bb"]);
        assert!(super::attachment_hashes("{}").is_empty());
        assert!(super::attachment_hashes("not json").is_empty());
    }
}

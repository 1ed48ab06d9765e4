//! Names for the hashes a people query answers with (`analytics_names`): one lookup by key for the rows of
//! the page, then the hashes in the JSONCompact answer are replaced by the names.

use lrs_common::clickhouse::{Db, DbError};
use serde_json::Value;
use std::collections::HashMap;

/// A hash as ClickHouse writes a UInt64 in JSON (18.16 quotes 64-bit integers).
fn hash_of(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct Name {
    kind: u8,
    hash: u64,
    name: String,
}

/// Replaces, in the JSONCompact answer `text`, the hash in each column of `columns` (index, kind) by its name.
pub async fn resolve(db: &Db, store: &str, columns: &[(usize, u8)], text: &str) -> Result<String, DbError> {
    let mut doc: Value = serde_json::from_str(text).map_err(|e| DbError::Decode(e.to_string()))?;
    let Some(rows) = doc.get_mut("data").and_then(Value::as_array_mut) else { return Ok(text.to_string()) };
    let mut wanted: Vec<u64> =
        rows.iter().flat_map(|r| columns.iter().filter_map(move |(i, _)| r.get(*i).and_then(hash_of))).collect();
    if wanted.is_empty() {
        return Ok(text.to_string());
    }
    wanted.sort_unstable();
    wanted.dedup();
    // The hashes are integers parsed here, so they go into the text as such.
    let list: Vec<String> = wanted.iter().map(u64::to_string).collect();
    let sql = format!(
        "SELECT kind, hash, any(name) AS name FROM analytics_names WHERE store = ? AND hash IN ({}) GROUP BY kind, hash",
        list.join(",")
    );
    let found: Vec<Name> = db.query(&sql).bind(store).fetch_all().await?;
    let names: HashMap<(u8, u64), String> = found.into_iter().map(|n| ((n.kind, n.hash), n.name)).collect();
    for row in rows.iter_mut() {
        for (i, kind) in columns {
            if let Some(cell) = row.get_mut(*i) {
                if let Some(name) = hash_of(cell).and_then(|h| names.get(&(*kind, h))) {
                    *cell = Value::String(name.clone());
                }
            }
        }
    }
    serde_json::to_string(&doc).map_err(|e| DbError::Decode(e.to_string()))
}

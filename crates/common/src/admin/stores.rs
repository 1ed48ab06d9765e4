//! `/admin/stores`: create, list, and delete a store with everything in it.

use super::{parse, time, AdminError, AdminState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

#[derive(Debug, Clone, clickhouse::Row, serde::Serialize, serde::Deserialize)]
struct StoreRow {
    name: String,
    created_ms: i64,
    deleted: u8,
    version: u64,
}

/// Every store ever created, newest version of each.
async fn all(s: &AdminState) -> Result<Vec<StoreRow>, AdminError> {
    Ok(all_in(&s.db).await?)
}

async fn all_in(db: &crate::clickhouse::Db) -> Result<Vec<StoreRow>, crate::clickhouse::DbError> {
    db.query("SELECT name, created_ms, deleted, version FROM stores FINAL ORDER BY name").fetch_all().await
}

pub async fn exists(s: &AdminState, name: &str) -> Result<bool, AdminError> {
    Ok(live(&s.db, &s.fixed_store, name).await?)
}

/// Whether `name` is a store that is not deleted (`fixed` is the environment credential's, always there).
pub async fn live(db: &crate::clickhouse::Db, fixed: &str, name: &str) -> Result<bool, crate::clickhouse::DbError> {
    if name == fixed {
        return Ok(true);
    }
    Ok(all_in(db).await?.iter().any(|r| r.name == name && r.deleted == 0))
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name.as_bytes()[0].is_ascii_alphanumeric()
}

#[derive(serde::Deserialize)]
struct NewStore {
    name: String,
}

pub async fn create(State(s): State<AdminState>, body: axum::body::Bytes) -> Result<Response, AdminError> {
    let NewStore { name } = parse(&body)?;
    if !valid_name(&name) {
        return Err(AdminError::BadRequest(format!(
            "store name {name:?}: 1 to 64 of a-z, 0-9, '-' and '_', starting with a letter or digit"
        )));
    }
    if name == s.fixed_store {
        return Err(AdminError::Conflict(format!("store {name:?} exists")));
    }
    if let Some(existing) = all(&s).await?.into_iter().find(|r| r.name == name) {
        // A deleted store's name stays taken: rows of it may still be erased in the background.
        let why = if existing.deleted == 1 { "was used by a deleted store" } else { "exists" };
        return Err(AdminError::Conflict(format!("store {name:?} {why}")));
    }
    let now = crate::now_ms();
    let row = StoreRow { name: name.clone(), created_ms: now, deleted: 0, version: now as u64 };
    s.db.insert("stores", std::slice::from_ref(&row)).await?;
    Ok((StatusCode::CREATED, Json(json!({"name": name, "created": time(now)}))).into_response())
}

pub async fn list(State(s): State<AdminState>) -> Result<Json<Value>, AdminError> {
    let mut stores = vec![json!({"name": s.fixed_store, "fixed": true})];
    stores.extend(
        all(&s)
            .await?
            .into_iter()
            .filter(|r| r.deleted == 0 && r.name != s.fixed_store)
            .map(|r| json!({"name": r.name, "created": time(r.created_ms)})),
    );
    Ok(Json(json!({"stores": stores})))
}

/// Marks the store deleted (its credentials stop working at once here, within a reload period everywhere),
/// then erases its rows from every table that has a `store` column; again for a store already deleted.
pub async fn delete(State(s): State<AdminState>, Path(name): Path<String>) -> Result<StatusCode, AdminError> {
    if name == s.fixed_store {
        return Err(AdminError::Conflict("the store of the environment's credential cannot be deleted".into()));
    }
    let Some(mut row) = all(&s).await?.into_iter().find(|r| r.name == name) else {
        return Err(AdminError::NotFound(format!("no store {name:?}")));
    };
    // Deleting a deleted store erases again: an erase that failed part way is retried this way.
    if row.deleted == 0 {
        row.deleted = 1;
        row.version = (crate::now_ms() as u64).max(row.version + 1);
        s.db.insert("stores", std::slice::from_ref(&row)).await?;
    }
    s.credentials.remove_store(&name);
    let tables: Vec<String> =
        s.db.query(
            "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' \
             AND name IN (SELECT table FROM system.columns WHERE database = currentDatabase() AND name = 'store')",
        )
        .fetch_all()
        .await?;
    for table in tables {
        // A mutation: rare (a store's deletion), applied by ClickHouse in the background.
        s.db.query(&format!("ALTER TABLE `{table}` DELETE WHERE store = ?")).bind(name.as_str()).execute().await?;
    }
    tracing::info!(store = %name, "store deleted; its rows are being erased");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    #[test]
    fn store_names() {
        for ok in ["acme", "a", "acme-eu_2"] {
            assert!(super::valid_name(ok), "{ok}");
        }
        for bad in ["", "Acme", "-acme", "a b", "a/b", &"x".repeat(65)] {
            assert!(!super::valid_name(bad), "{bad}");
        }
    }
}

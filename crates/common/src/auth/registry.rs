//! Stored credentials and stores in ClickHouse (schema 0010): rows are versioned (ReplacingMergeTree), a
//! revocation or deletion is a newer row, and every replica reloads the live set periodically.

use super::Credentials;
use crate::clickhouse::{Db, DbError};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// One credential as stored (its secret only as salt and SHA-256).
#[derive(Debug, Clone, clickhouse::Row, serde::Serialize, serde::Deserialize)]
pub struct StoredCredential {
    pub key: String,
    pub store: String,
    pub scopes: Vec<String>,
    pub label: String,
    pub created_ms: i64,
    pub secret_salt: String,
    pub secret_sha256: String,
    pub revoked: u8,
    pub version: u64,
}

/// The stored form of a secret: hex SHA-256 of salt and secret. Secrets carry 244 random bits, so a fast hash
/// with a salt is enough (nothing to brute-force), and every request can check it.
pub fn hash_secret(salt: &str, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(b":");
    h.update(secret.as_bytes());
    hex::encode(h.finalize())
}

fn random_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl StoredCredential {
    /// A new credential for `store` with a fresh key and secret; the secret is returned beside it, the only
    /// time it exists in clear.
    pub fn new(store: &str, scopes: &[String], label: &str) -> (StoredCredential, String) {
        let secret = format!("{}{}", random_hex(), random_hex());
        let salt = random_hex();
        let now = crate::now_ms();
        let c = StoredCredential {
            key: format!("k{}", &random_hex()[..23]),
            store: store.to_string(),
            scopes: scopes.to_vec(),
            label: label.to_string(),
            created_ms: now,
            secret_sha256: hash_secret(&salt, &secret),
            secret_salt: salt,
            revoked: 0,
            version: now as u64,
        };
        (c, secret)
    }
}

/// The live stored credentials: not revoked, and of a store not deleted.
pub async fn load(db: &Db) -> Result<Vec<StoredCredential>, DbError> {
    db.query(
        "SELECT key, store, scopes, label, created_ms, secret_salt, secret_sha256, revoked, version \
         FROM credentials FINAL WHERE revoked = 0 \
         AND store NOT IN (SELECT name FROM stores FINAL WHERE deleted = 1)",
    )
    .fetch_all()
    .await
}

/// Reloads `credentials` from ClickHouse every `every`, for as long as the process runs. While ClickHouse
/// cannot answer, the last set read stays (a revocation then waits for it).
pub fn spawn_refresh(credentials: Arc<Credentials>, db: Db, every: Duration) {
    tokio::spawn(async move {
        let mut failing = false;
        loop {
            match load(&db).await {
                Ok(live) => {
                    credentials.replace(&live);
                    if failing {
                        tracing::info!(credentials = live.len(), "stored credentials reloaded again");
                    }
                    failing = false;
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "stored credentials could not be reloaded; the last set read stays");
                    }
                    failing = true;
                }
            }
            tokio::time::sleep(every).await;
        }
    });
}

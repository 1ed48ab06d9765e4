//! The admin API under `/admin/` (the admin credential only): stores (tenants), their credentials, and the
//! erasure of a person. Served by the gateway and the query service alike; every replica picks credential
//! changes up at its next reload, the one that made the change at once.

mod erasure;
mod error;
mod jobs;
mod stores;

use crate::auth::{Credentials, Principal, Scopes, StoredCredential};
use crate::clickhouse::Db;
use crate::http::require_auth;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Extension, Json, Router};
pub use error::AdminError;
use serde_json::{json, Value};
use std::sync::Arc;
pub use stores::live as store_is_live;

#[derive(Clone)]
pub struct AdminState {
    pub db: Db,
    pub credentials: Arc<Credentials>,
    /// The store of the environment's credential: always there, never deleted.
    pub fixed_store: String,
    pub settings: Arc<crate::Settings>,
}

/// The credentials a service authenticates with: the environment's, and the stored ones, kept reloaded; and
/// the admin API over them.
pub fn credentials_and_router(settings: &crate::Settings) -> (Arc<Credentials>, Router) {
    let credentials = Arc::new(Credentials::from_settings(settings));
    let db = crate::clickhouse::db(settings);
    crate::auth::spawn_refresh(credentials.clone(), db.clone(), settings.credentials_refresh);
    let state = AdminState {
        db,
        credentials: credentials.clone(),
        fixed_store: settings.dev_store.clone(),
        settings: Arc::new(settings.clone()),
    };
    (credentials, router(state))
}

pub fn router(state: AdminState) -> Router {
    let auth = axum::middleware::from_fn_with_state(state.credentials.clone(), require_auth);
    Router::new()
        .route("/admin/stores", get(stores::list).post(stores::create))
        .route("/admin/stores/{name}", delete(stores::delete))
        .route("/admin/credentials", get(list_credentials).post(create_credential))
        .route("/admin/credentials/{key}", delete(revoke_credential))
        .route("/admin/agents", delete(erasure::start))
        .route("/admin/jobs", get(jobs::list))
        .route("/admin/jobs/{id}", get(jobs::get))
        .route_layer(auth)
        .with_state(state)
}

/// A JSON request body, or a 400 saying what is wrong with it.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(body).map_err(|e| AdminError::BadRequest(format!("request body: {e}")))
}

fn time(ms: i64) -> String {
    xapi::time::format_ms(ms)
}

fn shown(c: &StoredCredential) -> Value {
    json!({"key": c.key, "store": c.store, "scopes": Scopes::parse(&c.scopes).unwrap_or_default().names(),
           "label": c.label, "created": time(c.created_ms)})
}

#[derive(serde::Deserialize)]
struct NewCredential {
    store: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    label: String,
}

async fn create_credential(
    State(s): State<AdminState>,
    Extension(_): Extension<Principal>,
    body: axum::body::Bytes,
) -> Result<Response, AdminError> {
    let body: NewCredential = parse(&body)?;
    let scopes = Scopes::parse(&body.scopes).map_err(AdminError::BadRequest)?;
    if body.label.len() > 200 {
        return Err(AdminError::BadRequest("label: at most 200 bytes".into()));
    }
    if !stores::exists(&s, &body.store).await? {
        return Err(AdminError::NotFound(format!("no store {:?}", body.store)));
    }
    let names: Vec<String> = scopes.names().into_iter().map(String::from).collect();
    let (credential, secret) = StoredCredential::new(&body.store, &names, &body.label);
    s.db.insert("credentials", std::slice::from_ref(&credential)).await?;
    s.credentials.add(&credential);
    let mut shown = shown(&credential);
    shown["secret"] = json!(secret);
    Ok((StatusCode::CREATED, Json(shown)).into_response())
}

#[derive(serde::Deserialize)]
struct StoreFilter {
    store: Option<String>,
}

async fn list_credentials(
    State(s): State<AdminState>,
    Query(f): Query<StoreFilter>,
) -> Result<Json<Value>, AdminError> {
    let live = crate::auth::load(&s.db).await?;
    let listed: Vec<Value> =
        live.iter().filter(|c| f.store.as_deref().is_none_or(|want| c.store == want)).map(shown).collect();
    Ok(Json(json!({"credentials": listed})))
}

async fn revoke_credential(State(s): State<AdminState>, Path(key): Path<String>) -> Result<StatusCode, AdminError> {
    if s.credentials.is_fixed(&key) {
        return Err(AdminError::Conflict("a credential from the environment is changed there, not revoked".into()));
    }
    let live = crate::auth::load(&s.db).await?;
    let Some(mut c) = live.into_iter().find(|c| c.key == key) else {
        return Err(AdminError::NotFound(format!("no live credential {key:?}")));
    };
    c.revoked = 1;
    c.version = (crate::now_ms() as u64).max(c.version + 1);
    s.db.insert("credentials", std::slice::from_ref(&c)).await?;
    s.credentials.remove(&key);
    Ok(StatusCode::NO_CONTENT)
}

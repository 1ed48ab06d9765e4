use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// `GET /xapi/about`: the versions this LRS speaks. Needs no credentials.
pub async fn get() -> Response {
    Json(json!({"version": xapi::version::SUPPORTED, "extensions": {}})).into_response()
}

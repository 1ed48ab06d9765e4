use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lrs_common::http::error_response;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the statement store is unavailable, try again: {0}")]
    Store(#[from] clickhouse::error::Error),
}

impl IntoResponse for QueryError {
    fn into_response(self) -> Response {
        let status = match &self {
            QueryError::BadRequest(_) => StatusCode::BAD_REQUEST,
            QueryError::NotFound(_) => StatusCode::NOT_FOUND,
            QueryError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "read failed");
        }
        error_response(status, self.to_string())
    }
}

//! Every way a read can fail, and the one place that maps them to HTTP statuses. A store that cannot
//! answer is logged with the request id and answered 503 with a generic message naming that id.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lrs_common::clickhouse::DbError;
use lrs_common::http::{error_response, server_error};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Store(#[from] DbError),
}

impl IntoResponse for QueryError {
    fn into_response(self) -> Response {
        match &self {
            QueryError::BadRequest(m) => error_response(StatusCode::BAD_REQUEST, m.clone()),
            QueryError::NotFound(m) => error_response(StatusCode::NOT_FOUND, m.clone()),
            QueryError::Store(e) => server_error(StatusCode::SERVICE_UNAVAILABLE, "the store could not answer", e),
        }
    }
}

impl From<lrs_common::http::params::ParamError> for QueryError {
    fn from(e: lrs_common::http::params::ParamError) -> Self {
        QueryError::BadRequest(e.0)
    }
}

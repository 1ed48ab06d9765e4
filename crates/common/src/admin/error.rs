//! The admin API's errors and the one place they become HTTP answers.

use crate::clickhouse::DbError;
use crate::http::{error_response, server_error};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("clickhouse: {0}")]
    Store(#[from] DbError),
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        match self {
            AdminError::BadRequest(m) => error_response(StatusCode::BAD_REQUEST, m),
            AdminError::NotFound(m) => error_response(StatusCode::NOT_FOUND, m),
            AdminError::Conflict(m) => error_response(StatusCode::CONFLICT, m),
            AdminError::Unavailable(m) => error_response(StatusCode::SERVICE_UNAVAILABLE, m),
            AdminError::Store(e) => server_error(StatusCode::SERVICE_UNAVAILABLE, "admin request failed", &e),
        }
    }
}

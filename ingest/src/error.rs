//! Every way a write can fail, and the one place that maps them to HTTP statuses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lrs_common::http::error_response;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Invalid(#[from] xapi::ValidationError),
    #[error("{0}")]
    BadRequest(String),
    #[error("request body is larger than the limit of {0} bytes")]
    TooLarge(usize),
    #[error("could not read the request body: {0}")]
    Body(String),
    #[error("a different statement with id {0} is already stored")]
    Conflict(uuid::Uuid),
    #[error("statements could not be stored, try again: {0}")]
    Unavailable(String),
}

impl IngestError {
    pub fn status(&self) -> StatusCode {
        match self {
            IngestError::Invalid(_) | IngestError::BadRequest(_) | IngestError::Body(_) => StatusCode::BAD_REQUEST,
            IngestError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            IngestError::Conflict(_) => StatusCode::CONFLICT,
            IngestError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "write failed");
        }
        error_response(status, self.to_string())
    }
}

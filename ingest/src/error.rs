//! Every way a write can fail, and the one place that maps them to HTTP statuses. Client errors say what
//! was wrong; server errors are logged in full with the request id and answered with a generic message
//! naming that id (never a backend's error text).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lrs_common::http::{error_response, server_error, BodyError};
use lrs_common::kafka::PublishError;
use lrs_common::lookup::LookupError;
use xapi::document::{Refusal, Rejection};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Invalid(#[from] xapi::ValidationError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Body(#[from] BodyError),
    #[error("a different statement with id {0} is already stored")]
    Conflict(uuid::Uuid),
    #[error("{}", .0.message)]
    Refused(Rejection),
    #[error("{0}")]
    Publish(#[from] PublishError),
    #[error("the document write was accepted but not applied in time; it may still be applied: read the document (or retry with If-Match) to find out")]
    NotApplied,
    #[error("{0}")]
    Lookup(#[from] LookupError),
    #[error("{0}")]
    NotFound(String),
    #[error("the LRS is writing statements more slowly than they arrive; retry after {0} s")]
    Lagging(u64),
    #[error("clickhouse: {0}")]
    Store(#[from] lrs_common::clickhouse::DbError),
}

impl IngestError {
    pub fn status(&self) -> StatusCode {
        match self {
            IngestError::Invalid(_) | IngestError::BadRequest(_) => StatusCode::BAD_REQUEST,
            IngestError::Body(e) => e.status(),
            IngestError::Conflict(_) => StatusCode::CONFLICT,
            IngestError::Refused(r) => match r.refusal {
                Refusal::BadRequest => StatusCode::BAD_REQUEST,
                Refusal::Conflict => StatusCode::CONFLICT,
                Refusal::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            },
            IngestError::Publish(PublishError::TooLarge) => StatusCode::PAYLOAD_TOO_LARGE,
            IngestError::Publish(PublishError::Refused(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            IngestError::NotFound(_) => StatusCode::NOT_FOUND,
            IngestError::Lagging(_) => StatusCode::SERVICE_UNAVAILABLE,
            IngestError::Publish(PublishError::Unavailable(_))
            | IngestError::NotApplied
            | IngestError::Lookup(_)
            | IngestError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            IngestError::Body(_) => match self {
                IngestError::Body(e) => e.into_response(),
                _ => error_response(status, self.to_string()),
            },
            IngestError::Publish(PublishError::TooLarge) => error_response(
                status,
                "the request is larger than the statements topic accepts; send fewer statements or smaller attachments",
            ),
            IngestError::Publish(_) => server_error(status, "the write could not be stored", &self),
            IngestError::Lookup(_) => {
                server_error(status, "the write could not be checked against stored statements", &self)
            }
            IngestError::Store(_) => server_error(status, "the store could not be checked", &self),
            IngestError::Lagging(secs) => {
                let mut res = error_response(status, self.to_string());
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(*secs));
                res
            }
            _ if status.is_server_error() => server_error(status, &self.to_string(), &self),
            _ => error_response(status, self.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_text_never_reaches_the_client() {
        let e = IngestError::Publish(PublishError::Unavailable(rdkafka::error::KafkaError::MessageProduction(
            rdkafka::types::RDKafkaErrorCode::BrokerTransportFailure,
        )));
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        let res = e.into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn refusals_map_to_their_statuses() {
        let r = |refusal| IngestError::Refused(Rejection::new(refusal, "x")).status();
        assert_eq!(r(Refusal::BadRequest), StatusCode::BAD_REQUEST);
        assert_eq!(r(Refusal::Conflict), StatusCode::CONFLICT);
        assert_eq!(r(Refusal::PreconditionFailed), StatusCode::PRECONDITION_FAILED);
        assert_eq!(IngestError::Publish(PublishError::TooLarge).status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}

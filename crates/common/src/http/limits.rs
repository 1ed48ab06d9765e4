//! What one request may take, checked before routing: the target's length (414), the header fields' size and
//! number (431), the time to send the body (408, once a handler reads it: unauthenticated requests are
//! refused before their body is read) and the time to answer (503). Body sizes are checked where the body is
//! read ([`read_body`]), after decompression, so a compressed bomb gets 413 too.

use super::{error_response, BodyError};
use crate::config::HttpLimits;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Middleware (with the limits as state).
pub async fn limit_request(State(limits): State<HttpLimits>, req: Request<Body>, next: Next) -> Response {
    let target = req.uri().path_and_query().map(|p| p.as_str().len()).unwrap_or(0);
    if target > limits.max_uri_bytes {
        return error_response(
            StatusCode::URI_TOO_LONG,
            format!("the request target is {target} bytes, more than {}", limits.max_uri_bytes),
        );
    }
    let headers = req.headers();
    let header_bytes: usize = headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
    if headers.len() > limits.max_headers || header_bytes > limits.max_header_bytes {
        return error_response(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "{} header fields of {header_bytes} bytes; at most {} fields and {} bytes",
                headers.len(),
                limits.max_headers,
                limits.max_header_bytes
            ),
        );
    }
    let req = req.map(|body| Body::new(DeadlineBody::new(body, limits.body_timeout)));
    match tokio::time::timeout(limits.request_timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(timeout_ms = limits.request_timeout.as_millis() as u64, "request timed out");
            let mut res = error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the request was not answered within {:?}; try again", limits.request_timeout),
            );
            res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            res
        }
    }
}

/// The body did not arrive within its time.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not received within {0:?}")]
pub struct BodyTimeout(pub Duration);

/// A request body that fails once `timeout` has passed since the request arrived.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
}

impl DeadlineBody {
    fn new(inner: Body, timeout: Duration) -> Self {
        DeadlineBody { inner, deadline: Box::pin(tokio::time::sleep(timeout)), timeout }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimeout(self.timeout))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

use std::future::Future;

/// The body a handler extracted as `Result<Bytes, BytesRejection>`, or why it could not be read: too large
/// (413, after decompression), not received in time (408), or malformed (400: bad chunked encoding, a
/// corrupt gzip stream).
pub fn read_body(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, BodyError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return BodyError::TooLarge(limit);
        }
        match timed_out(&rejection) {
            Some(t) => BodyError::Timeout(t),
            None => BodyError::Malformed(rejection.body_text()),
        }
    })
}

/// Whether a body error (anywhere in its chain) is the body deadline passing.
pub fn timed_out(error: &(dyn std::error::Error + 'static)) -> Option<Duration> {
    let mut source = Some(error);
    while let Some(e) = source {
        if let Some(t) = e.downcast_ref::<BodyTimeout>() {
            return Some(t.0);
        }
        source = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use axum::Router;
    use tower::ServiceExt;

    fn limits() -> HttpLimits {
        HttpLimits {
            header_timeout: Duration::from_secs(1),
            body_timeout: Duration::from_millis(200),
            request_timeout: Duration::from_millis(500),
            idle_timeout: Duration::from_secs(1),
            max_connections: 10,
            max_uri_bytes: 100,
            max_header_bytes: 300,
            max_headers: 5,
            max_form_bytes: 100,
        }
    }

    async fn echo(body: Result<Bytes, BytesRejection>) -> Response {
        match read_body(body, 10) {
            Ok(b) => Response::new(Body::from(b)),
            Err(e) => axum::response::IntoResponse::into_response(e),
        }
    }

    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "late"
    }

    fn app() -> Router {
        Router::new()
            .route("/echo", post(echo))
            .route("/slow", post(slow))
            .layer(axum::extract::DefaultBodyLimit::max(10))
            .layer(axum::middleware::from_fn_with_state(limits(), limit_request))
    }

    async fn status(req: Request<Body>) -> StatusCode {
        app().oneshot(req).await.unwrap().status()
    }

    #[tokio::test]
    async fn every_limit_has_its_status() {
        assert_eq!(status(Request::post("/echo").body(Body::from("hi")).unwrap()).await, StatusCode::OK);
        let long = format!("/echo?{}", "a".repeat(200));
        assert_eq!(status(Request::post(long).body(Body::empty()).unwrap()).await, StatusCode::URI_TOO_LONG);
        let mut many = Request::post("/echo");
        for i in 0..6 {
            many = many.header(format!("x-{i}"), "v");
        }
        assert_eq!(status(many.body(Body::empty()).unwrap()).await, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        let big = Request::post("/echo").header("x-big", "v".repeat(400)).body(Body::empty()).unwrap();
        assert_eq!(status(big).await, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        let large = Request::post("/echo").body(Body::from("x".repeat(11))).unwrap();
        assert_eq!(status(large).await, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(status(Request::post("/slow").body(Body::empty()).unwrap()).await, StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn a_body_that_never_ends_times_out() {
        let (tx, rx) = futures::channel::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(1);
        let req = Request::post("/echo").body(Body::new(http_body_util::StreamBody::new(rx))).unwrap();
        let res = app().oneshot(req).await.unwrap();
        drop(tx);
        assert_eq!(res.status(), StatusCode::REQUEST_TIMEOUT);
    }
}

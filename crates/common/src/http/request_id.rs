//! Every request has an id: the client's `X-Request-Id` when it is a short token, otherwise a new one. It
//! is echoed in the response, carried by the request's log lines, and named in error bodies, so an operator
//! can find the log line behind a client's 5xx.

use axum::http::{HeaderValue, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: Arc<str>;
}

/// The id of the request being answered by this task, if any.
pub fn current() -> Option<Arc<str>> {
    REQUEST_ID.try_with(Arc::clone).ok()
}

fn acceptable(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// Middleware: assigns the id, runs the request within it, and echoes it.
pub async fn assign(req: Request<axum::body::Body>, next: Next) -> Response {
    let given = req.headers().get(HEADER).and_then(|v| v.to_str().ok()).filter(|id| acceptable(id));
    let id: Arc<str> = match given {
        Some(id) => id.into(),
        None => uuid::Uuid::new_v4().simple().to_string().into(),
    };
    let span = tracing::info_span!("request", request_id = %id);
    let mut res = REQUEST_ID.scope(id.clone(), next.run(req).instrument(span)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, value);
    }
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_short_tokens_are_taken_from_clients() {
        assert!(super::acceptable("abc-123_x.y:z"));
        assert!(!super::acceptable(""));
        assert!(!super::acceptable(&"a".repeat(65)));
        assert!(!super::acceptable("a b"));
        assert!(!super::acceptable("a\"b"));
    }
}

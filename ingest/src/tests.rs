//! The gateway's HTTP behaviour with a recording publisher in place of Kafka.

use crate::{AppState, Publish};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures::future::BoxFuture;
use lrs_common::auth::{basic_header, Credentials};
use lrs_common::kafka::{Delivered, PublishError};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;
use xapi::{Prepared, XapiVersion};

#[derive(Default)]
struct Recorder {
    published: Mutex<Vec<(String, Prepared)>>,
    fail: bool,
}

impl Publish for Recorder {
    fn publish<'a>(
        &'a self,
        store: &'a str,
        _: XapiVersion,
        statements: &'a [Prepared],
        _: &'a [crate::AttachmentContent],
    ) -> BoxFuture<'a, Result<Delivered, PublishError>> {
        Box::pin(async move {
            if self.fail {
                return Err(PublishError::Unavailable(rdkafka::error::KafkaError::MessageProduction(
                    rdkafka::types::RDKafkaErrorCode::AllBrokersDown,
                )));
            }
            let mut published = self.published.lock().unwrap();
            published.extend(statements.iter().map(|s| (store.to_string(), s.clone())));
            Ok(Delivered { partition: 0, offset: published.len() as i64 })
        })
    }
}

fn app(recorder: Arc<Recorder>) -> axum::Router {
    app_lagging(recorder, crate::lag::LagGuard::off())
}

fn app_lagging(recorder: Arc<Recorder>, lag: Arc<crate::lag::LagGuard>) -> axum::Router {
    let credentials = Arc::new(Credentials::new().with("k", "s", "tenant-a", "http://lrs.test"));
    crate::xapi_router(AppState {
        credentials,
        publisher: recorder,
        max_body_bytes: 4096,
        visibility: None,
        ids: Arc::new(crate::ids::IdIndex::new(
            Arc::new(crate::ids::IdFilter::new(1024)),
            Arc::new(crate::ids::Recent::new(1024)),
            Arc::new(crate::ids::NoLookups),
            std::time::Duration::from_millis(10),
        )),
        lag,
    })
    .layer(axum::middleware::from_fn(lrs_common::http::version_header))
}

fn post(body: &str) -> Request<Body> {
    Request::post("/xapi/statements")
        .header("authorization", basic_header("k", "s"))
        .header("x-experience-api-version", "2.0.0")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

const STATEMENT: &str = r#"{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://example.com/c"}}"#;

async fn body_json(res: axum::response::Response) -> serde_json::Value {
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.expect("body");
    serde_json::from_slice(&bytes).expect("json body")
}

#[tokio::test]
async fn accepted_statements_are_published_to_the_credentials_store() {
    let recorder = Arc::new(Recorder::default());
    let res = app(recorder.clone()).oneshot(post(&format!("[{STATEMENT},{STATEMENT}]"))).await.expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-experience-api-version"], "2.0.0");
    let ids = body_json(res).await;
    let published = recorder.published.lock().expect("lock");
    assert_eq!(published.len(), 2);
    assert!(published.iter().all(|(store, _)| store == "tenant-a"));
    assert_eq!(ids[1], serde_json::json!(published[1].1.id.to_string()));
}

#[tokio::test]
async fn writes_wait_while_the_processors_lag_too_far() {
    let recorder = Arc::new(Recorder::default());
    let lagging = crate::lag::LagGuard::fixed(60_000, 70_000);
    let res = app_lagging(recorder.clone(), lagging).oneshot(post(STATEMENT)).await.expect("response");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "10");
    assert!(body_json(res).await["message"].as_str().expect("message").contains("retry after 10 s"));
    assert!(recorder.published.lock().expect("lock").is_empty());
    let keeping_up = crate::lag::LagGuard::fixed(60_000, 2_000);
    let res = app_lagging(recorder, keeping_up).oneshot(post(STATEMENT)).await.expect("response");
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn rejected_requests_publish_nothing() {
    let recorder = Arc::new(Recorder::default());
    for (body, status) in [
        (format!("[{STATEMENT}, {{\"actor\": 1}}]"), StatusCode::BAD_REQUEST),
        ("{".to_string(), StatusCode::BAD_REQUEST),
        (format!("[{}]", vec![STATEMENT; 40].join(",")), StatusCode::PAYLOAD_TOO_LARGE),
    ] {
        let res = app(recorder.clone()).oneshot(post(&body)).await.expect("response");
        assert_eq!(res.status(), status);
        assert!(body_json(res).await["message"].is_string());
    }
    assert!(recorder.published.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn unauthenticated_requests_get_401() {
    let mut req = post(STATEMENT);
    req.headers_mut().remove("authorization");
    let res = app(Arc::new(Recorder::default())).oneshot(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn broker_failure_is_503_not_200() {
    let recorder = Arc::new(Recorder { fail: true, ..Recorder::default() });
    let res = app(recorder).oneshot(post(STATEMENT)).await.expect("response");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let message = body_json(res).await["message"].as_str().unwrap().to_string();
    assert!(!message.contains("AllBrokersDown") && !message.to_lowercase().contains("broker"), "{message}");
}

#[tokio::test]
async fn parameters_are_checked_on_writes_too() {
    let recorder = Arc::new(Recorder::default());
    let mut req = post(STATEMENT);
    *req.uri_mut() = "/xapi/statements?foo=bar".parse().unwrap();
    assert_eq!(app(recorder.clone()).oneshot(req).await.unwrap().status(), StatusCode::BAD_REQUEST);
    let put = |query: &str| {
        Request::put(format!("/xapi/statements?{query}"))
            .header("authorization", basic_header("k", "s"))
            .header("x-experience-api-version", "2.0.0")
            .header("content-type", "application/json")
            .body(Body::from(STATEMENT))
            .unwrap()
    };
    let id = "8f9a0b1c-2d3e-4f5a-8b6c-7d8e9f0a1b2c";
    for bad in
        [format!("statementid={id}"), format!("statementId={id}&statementId={id}"), format!("statementId={id}&x=1")]
    {
        assert_eq!(app(recorder.clone()).oneshot(put(&bad)).await.unwrap().status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(
        app(recorder.clone()).oneshot(put(&format!("statementId={id}"))).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(recorder.published.lock().unwrap().len(), 1);
}

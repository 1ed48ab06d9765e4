//! The Activities, Agents and About resources through the router, for the answers that need no ClickHouse:
//! authentication, the version header and parameter validation.

use crate::{xapi_router, AppState};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use lrs_common::auth::{basic_header, Credentials};
use std::sync::Arc;
use tower::ServiceExt;

fn app() -> axum::Router {
    // ClickHouse is unreachable on purpose: none of these requests may get that far.
    let settings =
        lrs_common::Settings::from_lookup(|k| (k == "LRS_CLICKHOUSE_URL").then(|| "http://127.0.0.1:9".into()))
            .expect("settings");
    let credentials = Arc::new(Credentials::new().with("k", "s", "default", "http://lrs.example"));
    let router = xapi_router(AppState::new(&settings, credentials))
        .layer(axum::middleware::from_fn(lrs_common::http::version_header));
    lrs_common::http::edge(router, settings.http)
}

async fn status(uri: &str, version: Option<&str>, auth: bool) -> (StatusCode, String) {
    let mut req = Request::get(uri);
    if let Some(v) = version {
        req = req.header("x-experience-api-version", v);
    }
    if auth {
        req = req.header("authorization", basic_header("k", "s"));
    }
    let res = app().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let version = res.headers().get("x-experience-api-version").map(|v| v.to_str().unwrap().to_string());
    (res.status(), version.unwrap_or_default())
}

#[tokio::test]
async fn activities_and_agents_need_credentials_a_version_and_valid_parameters() {
    let agent = lrs_common::http::form::escape(r#"{"mbox":"mailto:a@example.com"}"#);
    for uri in ["/xapi/activities?activityId=http://example.com/a", &format!("/xapi/agents?agent={agent}")] {
        assert_eq!(status(uri, Some("1.0.3"), false).await.0, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(status(uri, None, true).await.0, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(status(uri, Some("0.9"), true).await.0, StatusCode::BAD_REQUEST, "{uri}");
    }
    for version in ["1.0.3", "2.0.0"] {
        for uri in [
            "/xapi/activities",
            "/xapi/activities?activityId=true",
            "/xapi/activities?activityId=http://example.com/a&foo=1",
            "/xapi/agents",
            "/xapi/agents?agent=%7B%22name%22%3A%22x%22%7D",
            "/xapi/agents?agent=not-json",
        ] {
            let (s, v) = status(uri, Some(version), true).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(v, version, "{uri}");
        }
    }
}

#[tokio::test]
async fn about_needs_neither_credentials_nor_version() {
    assert_eq!(status("/xapi/about", None, false).await.0, StatusCode::OK);
    assert_eq!(status("/xapi/about", Some("BAD"), false).await.0, StatusCode::OK);
    let res = app().oneshot(Request::get("/xapi/about").body(Body::empty()).unwrap()).await.unwrap();
    let body = axum::body::to_bytes(res.into_body(), 1 << 16).await.unwrap();
    let about: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(about["version"], serde_json::json!(["1.0.3", "2.0.0"]));
    assert!(about["extensions"].is_object());
}

#[tokio::test]
async fn alternate_get_reaches_the_read_routes() {
    let req = Request::post("/xapi/activities?method=GET")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "Authorization={}&X-Experience-API-Version=1.0.3&activityId=true",
            lrs_common::http::form::escape(&basic_header("k", "s"))
        )))
        .unwrap();
    let res = app().oneshot(req).await.unwrap();
    // Routed as a GET, authenticated by the form's Authorization, then rejected for the invalid activityId.
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = axum::body::to_bytes(res.into_body(), 1 << 16).await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("activityId"));
}

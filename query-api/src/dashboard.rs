//! The dashboard page and its assets. The page, script and style are part of the build; the chart library
//! (Apache ECharts) is installed from npm into `LRS_WEB_DIR/node_modules` by the project's install step and
//! served from there, so the page works on a machine with no internet.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::path::PathBuf;
use std::sync::Arc;

const INDEX: &str = include_str!("../../web/dashboard/index.html");
const APP: &str = include_str!("../../web/dashboard/app.js");
const STYLE: &str = include_str!("../../web/dashboard/style.css");

fn text(body: &'static str, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

async fn chart_library(State(web): State<Arc<PathBuf>>) -> Response {
    let path = web.join("node_modules/echarts/dist/echarts.min.js");
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut res = bytes.into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
            res
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "dashboard chart library not installed");
            lrs_common::http::error_response(
                StatusCode::NOT_FOUND,
                "the chart library is not installed (deploy/local/install.sh installs it into LRS_WEB_DIR)",
            )
        }
    }
}

/// `/dashboard` and its assets; the page signs in itself (the analytics API it calls needs a credential).
pub fn router(web_dir: PathBuf) -> Router {
    Router::new()
        .route("/dashboard", get(|| async { text(INDEX, "text/html; charset=utf-8") }))
        .route("/dashboard/", get(|| async { text(INDEX, "text/html; charset=utf-8") }))
        .route("/dashboard/app.js", get(|| async { text(APP, "text/javascript; charset=utf-8") }))
        .route("/dashboard/style.css", get(|| async { text(STYLE, "text/css; charset=utf-8") }))
        .route("/dashboard/vendor/echarts.min.js", get(chart_library))
        .with_state(Arc::new(web_dir))
}

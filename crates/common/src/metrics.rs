//! Request metrics for every HTTP service: counts by route/method/status and a latency histogram.
//! Metrics live in the process-wide default registry, served by `http::metrics_endpoint`.

use axum::extract::{MatchedPath, State};
use axum::http::Request;
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{register_histogram_vec, register_int_counter_vec, HistogramVec, IntCounterVec};
use std::sync::LazyLock;
use std::time::Instant;

pub static HTTP_REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "lrs_http_requests_total",
        "HTTP requests answered, by service, route, method and status",
        &["service", "route", "method", "status"]
    )
    .expect("metric registers once")
});

pub static HTTP_LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "lrs_http_request_duration_seconds",
        "HTTP request latency, by service, route and method",
        &["service", "route", "method"],
        vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
    )
    .expect("metric registers once")
});

/// Middleware (with the service name as state) recording every request.
pub async fn track_http(State(service): State<&'static str>, req: Request<axum::body::Body>, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    HTTP_LATENCY.with_label_values(&[service, &route, &method]).observe(started.elapsed().as_secs_f64());
    HTTP_REQUESTS.with_label_values(&[service, &route, &method, res.status().as_str()]).inc();
    res
}

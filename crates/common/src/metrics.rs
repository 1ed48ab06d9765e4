//! Metrics: constructors for the process-wide Prometheus registry, and the HTTP request metrics of every
//! service. Every label value comes from a bounded set (routes the router knows, the HTTP methods xAPI uses,
//! status codes), so no request can add series: an unknown route is `unmatched`, an unknown method `other`.

use axum::extract::{MatchedPath, State};
use axum::http::{Method, Request};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts};
use std::sync::LazyLock;
use std::time::Instant;

/// Registers `metric` in the default registry and returns it. The definitions are constants of this code, so
/// a failure is a programming error (a bad or repeated name), caught by each crate's metrics test.
#[allow(clippy::expect_used)]
fn registered<M: prometheus::core::Collector + Clone + 'static>(metric: Result<M, prometheus::Error>) -> M {
    let metric = metric.expect("metric definition is valid");
    prometheus::register(Box::new(metric.clone())).expect("metric registers once");
    metric
}

pub fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    registered(IntCounterVec::new(Opts::new(name, help), labels))
}

pub fn counter(name: &str, help: &str) -> prometheus::IntCounter {
    registered(prometheus::IntCounter::new(name, help))
}

pub fn gauge(name: &str, help: &str) -> IntGauge {
    registered(IntGauge::new(name, help))
}

/// A gauge of a non-integer quantity (seconds, ratios).
pub fn float_gauge(name: &str, help: &str) -> prometheus::Gauge {
    registered(prometheus::Gauge::new(name, help))
}

pub fn gauge_vec(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    registered(IntGaugeVec::new(Opts::new(name, help), labels))
}

pub fn histogram(name: &str, help: &str, buckets: Vec<f64>) -> Histogram {
    registered(Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets)))
}

pub fn histogram_vec(name: &str, help: &str, labels: &[&str], buckets: Vec<f64>) -> HistogramVec {
    registered(HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels))
}

/// Latency buckets in seconds, from half a millisecond to a minute.
pub fn latency_buckets() -> Vec<f64> {
    vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]
}

pub static HTTP_REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "lrs_http_requests_total",
        "HTTP requests answered, by service, route, method and status",
        &["service", "route", "method", "status"],
    )
});

pub static HTTP_LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram_vec(
        "lrs_http_request_duration_seconds",
        "HTTP request latency, by service, route and method",
        &["service", "route", "method"],
        latency_buckets(),
    )
});

/// The method as a label: the methods the LRS serves, everything else `other`.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Middleware (with the service name as state) recording every request.
pub async fn track_http(State(service): State<&'static str>, req: Request<axum::body::Body>, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let route = route.as_deref().unwrap_or("unmatched").to_owned();
    let method = method_label(req.method());
    let started = Instant::now();
    let res = next.run(req).await;
    HTTP_LATENCY.with_label_values(&[service, &route, method]).observe(started.elapsed().as_secs_f64());
    HTTP_REQUESTS.with_label_values(&[service, &route, method, res.status().as_str()]).inc();
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_a_bounded_set() {
        assert_eq!(method_label(&Method::PUT), "PUT");
        let made_up = Method::from_bytes("X".repeat(60_000).as_bytes()).unwrap();
        assert_eq!(method_label(&made_up), "other");
    }

    #[test]
    fn definitions_register() {
        HTTP_REQUESTS.with_label_values(&["t", "r", "GET", "200"]).inc();
        HTTP_LATENCY.with_label_values(&["t", "r", "GET"]).observe(0.1);
        crate::kafka::metrics::touch();
    }
}

use prometheus::{register_histogram, register_int_counter_vec, Histogram, IntCounterVec};
use std::sync::LazyLock;

pub static STATEMENTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("lrs_ingest_statements_total", "Statements received, by result", &["result"])
        .expect("metric registers once")
});

pub static PUBLISH_LATENCY: LazyLock<Histogram> = LazyLock::new(|| {
    register_histogram!(
        "lrs_kafka_produce_duration_seconds",
        "Time from handing a request's statements to Kafka until every one was acknowledged",
        vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]
    )
    .expect("metric registers once")
});

pub static VISIBLE_WAIT: std::sync::LazyLock<prometheus::HistogramVec> = std::sync::LazyLock::new(|| {
    prometheus::register_histogram_vec!(
        "lrs_ingest_visible_wait_seconds",
        "Visible acknowledgement mode: time from Kafka's ack until the statements were queryable, by outcome",
        &["outcome"],
        vec![0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]
    )
    .expect("metric registers once")
});

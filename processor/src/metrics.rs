use prometheus::{register_histogram_vec, register_int_counter_vec, HistogramVec, IntCounterVec};
use std::sync::LazyLock;

pub static INSERT_BATCHES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "lrs_clickhouse_insert_batches_total",
        "Insert batches, by table and result",
        &["table", "result"]
    )
    .expect("metric registers once")
});

pub static INSERT_ROWS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("lrs_clickhouse_insert_rows_total", "Rows inserted, by table", &["table"])
        .expect("metric registers once")
});

pub static INSERT_ERRORS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("lrs_clickhouse_insert_errors_total", "Failed insert attempts, by table", &["table"])
        .expect("metric registers once")
});

pub static INSERT_LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "lrs_clickhouse_insert_duration_seconds",
        "Time of one insert attempt, by table",
        &["table"],
        vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]
    )
    .expect("metric registers once")
});

pub static DEAD_LETTERS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("lrs_dlq_messages_total", "Records sent to the dead-letter topic, by reason", &["reason"])
        .expect("metric registers once")
});

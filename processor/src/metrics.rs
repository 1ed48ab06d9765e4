use lrs_common::metrics::{counter_vec, gauge_vec, histogram, histogram_vec, latency_buckets};
use prometheus::{Histogram, HistogramVec, IntCounterVec, IntGaugeVec};
use std::sync::LazyLock;

pub static INSERT_BATCHES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec("lrs_clickhouse_insert_batches_total", "Insert attempts, by table and result", &["table", "result"])
});

pub static INSERT_ROWS: LazyLock<IntCounterVec> =
    LazyLock::new(|| counter_vec("lrs_clickhouse_insert_rows_total", "Rows inserted, by table", &["table"]));

pub static INSERT_ERRORS: LazyLock<IntCounterVec> =
    LazyLock::new(|| counter_vec("lrs_clickhouse_insert_errors_total", "Failed insert attempts, by table", &["table"]));

pub static INSERT_LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram_vec(
        "lrs_clickhouse_insert_duration_seconds",
        "Time of one insert attempt, by table",
        &["table"],
        latency_buckets(),
    )
});

pub static DEAD_LETTERS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec("lrs_dlq_messages_total", "Records sent to the dead-letter topic, by reason", &["reason"])
});

pub static BACKPRESSURE: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    gauge_vec(
        "lrs_processor_paused",
        "1 while a pipeline's partitions are paused because its writer is behind or ClickHouse asked to slow down",
        &["topic"],
    )
});

pub static WRITE_FAILURES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "lrs_processor_write_failures_total",
        "Failed batch write attempts (retried), by pipeline and kind (error, backpressure)",
        &["pipeline", "kind"],
    )
});

pub static BATCH_ROWS: LazyLock<Histogram> = LazyLock::new(|| {
    histogram(
        "lrs_processor_batch_rows",
        "Rows (statements or document commands) per batch handed to a writer",
        vec![1.0, 10.0, 100.0, 500.0, 1000.0, 5000.0, 10000.0, 20000.0, 50000.0],
    )
});

#[cfg(test)]
mod tests {
    #[test]
    fn definitions_register() {
        super::INSERT_BATCHES.with_label_values(&["t", "ok"]).inc();
        super::INSERT_ROWS.with_label_values(&["t"]).inc();
        super::INSERT_ERRORS.with_label_values(&["t"]).inc();
        super::INSERT_LATENCY.with_label_values(&["t"]).observe(0.1);
        super::DEAD_LETTERS.with_label_values(&["x"]).inc();
        super::BACKPRESSURE.with_label_values(&["t"]).set(0);
        super::WRITE_FAILURES.with_label_values(&["p", "error"]).inc();
        super::BATCH_ROWS.observe(1.0);
    }
}

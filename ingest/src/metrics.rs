use lrs_common::metrics::{counter_vec, histogram_vec};
use prometheus::{HistogramVec, IntCounterVec};
use std::sync::LazyLock;

pub static STATEMENTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "lrs_ingest_statements_total",
        "Statements received, by result (accepted, rejected, conflict)",
        &["result"],
    )
});

pub static VISIBLE_WAIT: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram_vec(
        "lrs_ingest_visible_wait_seconds",
        "Visible acknowledgement mode: time from Kafka's ack until the statements were queryable, by outcome",
        &["outcome"],
        vec![0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
    )
});

#[cfg(test)]
mod tests {
    #[test]
    fn definitions_register() {
        super::STATEMENTS.with_label_values(&["accepted"]).inc();
        super::VISIBLE_WAIT.with_label_values(&["visible"]).observe(0.1);
    }
}

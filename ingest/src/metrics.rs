use lrs_common::metrics::{counter, counter_vec, float_gauge, gauge, histogram_vec};
use prometheus::{Gauge, HistogramVec, IntCounter, IntCounterVec, IntGauge};
use std::sync::LazyLock;

pub static STATEMENTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "lrs_ingest_statements_total",
        "Statements received, by result (accepted, rejected, conflict, imported, refused while the processors lag)",
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

pub static CONFLICT_CHECKS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "lrs_ingest_conflict_checks_total",
        "Client-chosen statement ids checked against stored ones, by how the answer was found (recent, filter, lookup, unchecked)",
        &["answer"],
    )
});

pub static CONFLICTS_LATE: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "lrs_ingest_late_conflicts_total",
        "Different statements accepted with one id through different gateways at about the same moment (first stored wins)",
    )
});

pub static ID_FILTER_ITEMS: LazyLock<IntGauge> =
    LazyLock::new(|| gauge("lrs_ingest_id_filter_items", "Statement ids in this gateway's filter of stored ids"));

pub static PROCESSOR_LAG: LazyLock<Gauge> = LazyLock::new(|| {
    float_gauge(
        "lrs_ingest_processor_lag_seconds",
        "How far the statement processors are behind (now minus the store's consistent-through time), as last read",
    )
});

#[cfg(test)]
mod tests {
    #[test]
    fn definitions_register() {
        super::STATEMENTS.with_label_values(&["accepted"]).inc();
        super::VISIBLE_WAIT.with_label_values(&["visible"]).observe(0.1);
        super::CONFLICT_CHECKS.with_label_values(&["filter"]).inc();
        super::CONFLICTS_LATE.inc();
        super::ID_FILTER_ITEMS.set(1);
        super::PROCESSOR_LAG.set(0.0);
    }
}

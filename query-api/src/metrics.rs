use lrs_common::metrics::histogram_vec;
use prometheus::HistogramVec;
use std::sync::LazyLock;

pub static READ_WAIT: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram_vec(
        "lrs_query_read_wait_seconds",
        "Time a read waited for the writes acknowledged before it (the read barrier), by outcome (passed, timeout, unavailable)",
        &["outcome"],
        vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
    )
});

#[cfg(test)]
mod tests {
    #[test]
    fn definitions_register() {
        super::READ_WAIT.with_label_values(&["passed"]).observe(0.001);
    }
}

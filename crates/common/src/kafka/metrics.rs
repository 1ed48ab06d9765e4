use crate::metrics::{counter_vec, gauge_vec, histogram_vec, latency_buckets};
use prometheus::{HistogramVec, IntCounterVec, IntGaugeVec};
use rdkafka::statistics::Statistics;
use std::sync::LazyLock;

pub static PRODUCED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec("lrs_kafka_produced_total", "Records produced, by topic and result", &["topic", "result"])
});

pub static PRODUCE_LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram_vec(
        "lrs_kafka_produce_duration_seconds",
        "Time from handing a record to the producer until Kafka acknowledged it (or failed), by topic",
        &["topic"],
        latency_buckets(),
    )
});

pub static CONSUMED: LazyLock<IntCounterVec> =
    LazyLock::new(|| counter_vec("lrs_kafka_consumed_total", "Records consumed, by topic", &["topic"]));

pub static CONSUMER_LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    gauge_vec(
        "lrs_kafka_consumer_lag",
        "Records between the committed offset and the end of the partition, by topic and partition",
        &["topic", "partition"],
    )
});

/// Exports consumer lag from rdkafka's periodic statistics (partitions this client does not consume report
/// -1 and are skipped).
pub fn record_statistics(stats: &Statistics) {
    for (topic, t) in &stats.topics {
        for (partition, p) in &t.partitions {
            if *partition >= 0 && p.consumer_lag >= 0 {
                CONSUMER_LAG.with_label_values(&[topic.as_str(), &partition.to_string()]).set(p.consumer_lag);
            }
        }
    }
}

/// Forces every metric of this module to register (for the registration test).
pub fn touch() {
    LazyLock::force(&PRODUCED);
    LazyLock::force(&PRODUCE_LATENCY);
    LazyLock::force(&CONSUMED);
    LazyLock::force(&CONSUMER_LAG);
}

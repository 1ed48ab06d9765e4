use prometheus::{register_int_counter_vec, register_int_gauge_vec, IntCounterVec, IntGaugeVec};
use rdkafka::statistics::Statistics;
use std::sync::LazyLock;

pub static PRODUCED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("lrs_kafka_produced_total", "Records produced, by topic and result", &["topic", "result"])
        .expect("metric registers once")
});

pub static CONSUMED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!("lrs_kafka_consumed_total", "Records consumed, by topic", &["topic"])
        .expect("metric registers once")
});

pub static CONSUMER_LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!(
        "lrs_kafka_consumer_lag",
        "Records between the committed offset and the end of the partition, by topic and partition",
        &["topic", "partition"]
    )
    .expect("metric registers once")
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

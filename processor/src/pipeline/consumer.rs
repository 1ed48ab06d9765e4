//! The consumer as the source loop sees it ([`Consumer`]), and its Kafka implementation: one consumer
//! builder for every topic the processor reads (same group settings, rdkafka's logs and errors routed to
//! tracing, rebalances drained before partitions are released).

use super::context::{Hooks, PipelineContext};
use super::Record;
use crate::watermark::PartitionState;
use lrs_common::kafka::base_config;
use lrs_common::Settings;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// What the source loop needs from a consumer (a trait so the loop is unit-tested with a fake).
pub trait Consumer {
    /// One record, if any arrives within `timeout`. Rebalance callbacks run inside (see `context`).
    fn poll(&self, timeout: Duration) -> Option<Result<Record, String>>;
    fn pause(&self, partitions: &[i32]) -> Result<(), String>;
    fn resume(&self, partitions: &[i32]) -> Result<(), String>;
    /// Commits `next` (partition -> the offset after the last written record).
    fn commit(&self, next: &BTreeMap<i32, i64>, sync: bool) -> Result<(), String>;
    /// The committed offsets of `partitions` (where reading resumes).
    fn committed(&self, partitions: &[i32]) -> BTreeMap<i32, i64>;
    /// Per partition: the next offset to read and the partition's end as last seen.
    fn progress(&self, partitions: &[i32]) -> Vec<PartitionState>;
    /// Partitions of the topic (for consistency watermarks).
    fn partition_count(&self) -> Option<i32>;
    fn topic(&self) -> &str;
}

/// The Kafka consumer of one topic in one consumer group.
pub struct KafkaConsumer {
    inner: BaseConsumer<PipelineContext>,
    topic: String,
}

/// How the consumers of the processor are built: one place for the group settings of every topic.
pub fn subscribe(settings: &Settings, topic: &str, group: &str, hooks: Arc<Hooks>) -> anyhow::Result<KafkaConsumer> {
    let inner: BaseConsumer<PipelineContext> = base_config(settings, &format!("lrs-processor-{topic}"))
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("isolation.level", "read_committed")
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "2000")
        // The poll thread never blocks for long (writes happen elsewhere), so a stuck one is a real fault.
        .set("max.poll.interval.ms", "300000")
        .set("fetch.wait.max.ms", "20")
        .set("queued.max.messages.kbytes", "8192")
        .set("enable.partition.eof", "false")
        .create_with_context(PipelineContext::new(hooks))?;
    inner.subscribe(&[topic])?;
    Ok(KafkaConsumer { inner, topic: topic.to_string() })
}

impl KafkaConsumer {
    fn list(&self, partitions: &[i32]) -> TopicPartitionList {
        let mut tpl = TopicPartitionList::new();
        for p in partitions {
            tpl.add_partition(&self.topic, *p);
        }
        tpl
    }

    pub fn unsubscribe(&self) {
        self.inner.unsubscribe();
    }
}

impl Consumer for KafkaConsumer {
    fn poll(&self, timeout: Duration) -> Option<Result<Record, String>> {
        match self.inner.poll(timeout)? {
            Ok(m) => Some(Ok(Record {
                topic: m.topic().to_string(),
                partition: m.partition(),
                offset: m.offset(),
                key: m.key().map(<[u8]>::to_vec),
                payload: m.payload().map(<[u8]>::to_vec),
                headers: m
                    .headers()
                    .map(|h| h.iter().map(|h| (h.key.to_string(), h.value.unwrap_or_default().to_vec())).collect())
                    .unwrap_or_default(),
            })),
            Err(e) => Some(Err(e.to_string())),
        }
    }

    fn pause(&self, partitions: &[i32]) -> Result<(), String> {
        self.inner.pause(&self.list(partitions)).map_err(|e| e.to_string())
    }

    fn resume(&self, partitions: &[i32]) -> Result<(), String> {
        self.inner.resume(&self.list(partitions)).map_err(|e| e.to_string())
    }

    fn commit(&self, next: &BTreeMap<i32, i64>, sync: bool) -> Result<(), String> {
        commit_offsets(&self.inner, &self.topic, next, sync)
    }

    fn committed(&self, partitions: &[i32]) -> BTreeMap<i32, i64> {
        match self.inner.committed_offsets(self.list(partitions), Duration::from_secs(5)) {
            Ok(tpl) => lrs_common::kafka::barrier::offsets_of(&tpl),
            Err(e) => {
                tracing::warn!(error = %e, "could not read committed offsets");
                BTreeMap::new()
            }
        }
    }

    fn progress(&self, partitions: &[i32]) -> Vec<PartitionState> {
        let positions: BTreeMap<i32, i64> =
            self.inner.position().map(|tpl| lrs_common::kafka::barrier::offsets_of(&tpl)).unwrap_or_default();
        partitions
            .iter()
            .map(|&p| {
                let marks = cached_watermarks(&self.inner, &self.topic, p);
                PartitionState {
                    partition: p,
                    // No record read yet: an empty partition's end is where reading would start.
                    position: positions.get(&p).copied().or(marks.filter(|(l, h)| *l >= 0 && l == h).map(|(_, h)| h)),
                    high_watermark: marks.map(|(_, h)| h).filter(|h| *h >= 0),
                }
            })
            .collect()
    }

    fn partition_count(&self) -> Option<i32> {
        let m = self.inner.fetch_metadata(Some(&self.topic), Duration::from_secs(5)).ok()?;
        m.topics().first().map(|t| t.partitions().len() as i32).filter(|n| *n > 0)
    }

    fn topic(&self) -> &str {
        &self.topic
    }
}

/// Commits the next offsets of `topic` (also used by the rebalance callback, which gets the consumer).
pub fn commit_offsets<C: rdkafka::consumer::ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topic: &str,
    next: &BTreeMap<i32, i64>,
    sync: bool,
) -> Result<(), String> {
    if next.is_empty() {
        return Ok(());
    }
    let mut tpl = TopicPartitionList::new();
    for (p, o) in next {
        tpl.add_partition_offset(topic, *p, Offset::Offset(*o)).map_err(|e| e.to_string())?;
    }
    let mode = if sync { CommitMode::Sync } else { CommitMode::Async };
    consumer.commit(&tpl, mode).map_err(|e| e.to_string())
}

/// The partition's low and high offsets as last seen in fetch responses, without a broker round trip
/// (librdkafka's `rd_kafka_get_watermark_offsets`, which rust-rdkafka does not wrap).
fn cached_watermarks(consumer: &BaseConsumer<PipelineContext>, topic: &str, partition: i32) -> Option<(i64, i64)> {
    let topic = std::ffi::CString::new(topic).ok()?;
    let (mut low, mut high) = (-1i64, -1i64);
    // SAFETY: the client pointer lives as long as `consumer`; the topic string outlives the call; librdkafka
    // only writes the two out-parameters.
    let err = unsafe {
        rdkafka::bindings::rd_kafka_get_watermark_offsets(
            consumer.client().native_ptr(),
            topic.as_ptr(),
            partition,
            &mut low,
            &mut high,
        )
    };
    (err == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR).then_some((low, high))
}

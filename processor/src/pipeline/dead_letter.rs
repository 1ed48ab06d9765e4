//! The dead-letter topic: records a pipeline cannot turn into rows go there whole, with the reason and their
//! origin in headers, before their offset is committed. Nothing is dropped silently. Sent by the writer
//! stage, so the source keeps polling while Kafka is unavailable.

use super::Record;
use crate::metrics::DEAD_LETTERS;
use lrs_common::kafka::{self, Publisher, DLQ_REASON_HEADER, DLQ_SOURCE_HEADER};
use lrs_common::{Backoff, Shutdown};
use rdkafka::message::{Header, OwnedHeaders};
use std::time::Duration;

pub struct DeadLetters {
    publisher: Publisher,
    topic: String,
}

impl DeadLetters {
    pub fn new(publisher: Publisher, topic: &str) -> Self {
        DeadLetters { publisher, topic: topic.to_string() }
    }

    /// Publishes `record` with `reason`, retrying until Kafka acknowledges it (true: the caller may commit past
    /// it) or `abort` (false: the record stays uncommitted and is read again later).
    pub async fn send(&self, record: &Record, reason: &str, kind: &'static str, abort: &Shutdown) -> bool {
        let source = format!("{}/{}/{}", record.topic, record.partition, record.offset);
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
        loop {
            let mut headers = OwnedHeaders::new()
                .insert(Header { key: DLQ_REASON_HEADER, value: Some(reason) })
                .insert(Header { key: DLQ_SOURCE_HEADER, value: Some(&source) });
            for (name, value) in &record.headers {
                headers = headers.insert(Header { key: name, value: Some(value) });
            }
            let sent = self
                .publisher
                .send(kafka::Record {
                    topic: &self.topic,
                    key: record.key.as_deref(),
                    partition: None,
                    payload: record.payload.as_deref().unwrap_or_default(),
                    headers,
                })
                .await;
            match sent {
                Ok(_) => {
                    DEAD_LETTERS.with_label_values(&[kind]).inc();
                    tracing::warn!(source, reason, "record sent to the dead-letter topic");
                    return true;
                }
                Err(e) => {
                    tracing::error!(error = %e, source, "dead-letter publish failed, retrying");
                    if !backoff.wait(abort).await {
                        return false;
                    }
                }
            }
        }
    }
}

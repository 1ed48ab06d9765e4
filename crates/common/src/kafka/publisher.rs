//! The one producer of a process: every record the LRS writes (statement envelopes, document commands, dead
//! letters, written-statement events) goes through [`Publisher::send`], which waits for Kafka's acknowledgement
//! (acks=all, idempotent), measures it, and says what kind of failure it was: worth retrying (503), too large
//! for the topic (413), or a setup error no retry will fix (500).

use super::metrics::{PRODUCED, PRODUCE_LATENCY};
use super::LoggingContext;
use crate::config::Settings;
use rdkafka::error::KafkaError;
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::util::Timeout;
use std::time::{Duration, Instant};

/// Where Kafka stored a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub partition: i32,
    pub offset: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The broker is unreachable, slow or short of replicas: the same record may succeed later.
    #[error("kafka did not acknowledge the record: {0}")]
    Unavailable(KafkaError),
    #[error("the record is larger than the topic accepts")]
    TooLarge,
    /// Missing topic, denied access, bad configuration: retrying will not help.
    #[error("kafka refused the record: {0}")]
    Refused(KafkaError),
}

impl PublishError {
    fn classify(e: KafkaError) -> PublishError {
        match e.rdkafka_error_code() {
            Some(RDKafkaErrorCode::MessageSizeTooLarge) | Some(RDKafkaErrorCode::InvalidMessageSize) => {
                PublishError::TooLarge
            }
            Some(
                RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::UnknownTopic
                | RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::ClusterAuthorizationFailed
                | RDKafkaErrorCode::InvalidTopic
                | RDKafkaErrorCode::InvalidRecord
                | RDKafkaErrorCode::UnsupportedForMessageFormat,
            ) => PublishError::Refused(e),
            _ => PublishError::Unavailable(e),
        }
    }

    /// A stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            PublishError::Unavailable(_) => "unavailable",
            PublishError::TooLarge => "too_large",
            PublishError::Refused(_) => "refused",
        }
    }
}

/// One record to publish.
pub struct Record<'a> {
    pub topic: &'a str,
    pub key: Option<&'a [u8]>,
    /// Set to route the record to a partition of the caller's choosing instead of by key.
    pub partition: Option<i32>,
    pub payload: &'a [u8],
    pub headers: OwnedHeaders,
}

#[derive(Clone)]
pub struct Publisher {
    producer: FutureProducer<LoggingContext>,
    enqueue_timeout: Duration,
}

impl Publisher {
    pub fn new(settings: &Settings, client_id: &str) -> Result<Self, KafkaError> {
        Ok(Publisher {
            producer: super::producer(settings, client_id)?,
            enqueue_timeout: settings.kafka_enqueue_timeout,
        })
    }

    /// Publishes and waits for the acknowledgement (or the producer's delivery timeout).
    pub async fn send(&self, record: Record<'_>) -> Result<Delivered, PublishError> {
        let started = Instant::now();
        let mut r: FutureRecord<'_, [u8], [u8]> =
            FutureRecord::to(record.topic).payload(record.payload).headers(record.headers);
        if let Some(key) = record.key {
            r = r.key(key);
        }
        if let Some(p) = record.partition {
            r = r.partition(p);
        }
        let result = self.producer.send(r, Timeout::After(self.enqueue_timeout)).await;
        PRODUCE_LATENCY.with_label_values(&[record.topic]).observe(started.elapsed().as_secs_f64());
        match result {
            Ok(d) => {
                PRODUCED.with_label_values(&[record.topic, "ok"]).inc();
                Ok(Delivered { partition: d.partition, offset: d.offset })
            }
            Err((e, _)) => {
                let e = PublishError::classify(e);
                PRODUCED.with_label_values(&[record.topic, e.kind()]).inc();
                Err(e)
            }
        }
    }

    /// Waits (bounded) for queued records to be delivered, at shutdown.
    pub fn flush(&self, timeout: Duration) {
        if let Err(e) = self.producer.flush(Timeout::After(timeout)) {
            tracing::error!(error = %e, "records still unsent at shutdown");
        }
    }

    /// Whether the broker answers a metadata request naming `topic` with partitions.
    pub async fn topic_ready(&self, topic: &str) -> Result<(), String> {
        let client = self.producer.clone();
        let topic = topic.to_string();
        let result = tokio::task::spawn_blocking(move || {
            client
                .client()
                .fetch_metadata(Some(&topic), Timeout::After(Duration::from_secs(2)))
                .map(|m| m.topics().first().map(|t| t.error().is_none() && !t.partitions().is_empty()).unwrap_or(false))
        })
        .await;
        match result {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err("topic missing".into()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_told_apart() {
        let kind = |c| PublishError::classify(KafkaError::MessageProduction(c)).kind();
        assert_eq!(kind(RDKafkaErrorCode::MessageSizeTooLarge), "too_large");
        assert_eq!(kind(RDKafkaErrorCode::UnknownTopicOrPartition), "refused");
        assert_eq!(kind(RDKafkaErrorCode::MessageTimedOut), "unavailable");
        assert_eq!(kind(RDKafkaErrorCode::QueueFull), "unavailable");
        assert_eq!(kind(RDKafkaErrorCode::NotEnoughReplicas), "unavailable");
    }
}

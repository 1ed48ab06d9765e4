//! Creates the topics described by `schemas/topics.json` (idempotent: existing topics are left alone).

use crate::config::Settings;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

const TOPICS_JSON: &str = include_str!("../../../../schemas/topics.json");

#[derive(Debug, Deserialize)]
pub struct TopicSpec {
    pub partitions: i32,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
pub struct TopicSpecs {
    pub statements: TopicSpec,
    pub dead_letter: TopicSpec,
}

pub fn specs() -> Result<TopicSpecs, serde_json::Error> {
    serde_json::from_str(TOPICS_JSON)
}

#[derive(Debug, thiserror::Error)]
pub enum TopicError {
    #[error("schemas/topics.json: {0}")]
    Spec(#[from] serde_json::Error),
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error("creating topic {topic}: {code}")]
    Create { topic: String, code: RDKafkaErrorCode },
}

/// Creates the statements and dead-letter topics named in `settings`, with `replication` replicas.
/// Returns the names of the topics it created.
pub async fn ensure(settings: &Settings, replication: i32) -> Result<Vec<String>, TopicError> {
    let specs = specs()?;
    let admin: AdminClient<DefaultClientContext> = crate::kafka::base_config(settings, "lrs-migrate").create()?;
    let wanted = [(&settings.statements_topic, &specs.statements), (&settings.dead_letter_topic, &specs.dead_letter)];
    let new_topics: Vec<NewTopic> = wanted
        .iter()
        .map(|(name, spec)| {
            let mut t = NewTopic::new(name, spec.partitions, TopicReplication::Fixed(replication));
            for (k, v) in &spec.config {
                if k == "min.insync.replicas" && replication == 1 {
                    continue;
                }
                t = t.set(k, v);
            }
            t
        })
        .collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let mut created = Vec::new();
    for result in admin.create_topics(&new_topics, &opts).await? {
        match result {
            Ok(topic) => created.push(topic),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => return Err(TopicError::Create { topic, code }),
        }
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    #[test]
    fn topics_json_parses() {
        let specs = super::specs().expect("valid topics.json");
        assert!(specs.statements.partitions > 1, "statements need several partitions to scale out");
        assert!(specs.dead_letter.partitions >= 1);
    }
}

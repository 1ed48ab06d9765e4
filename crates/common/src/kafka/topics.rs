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
    pub documents: TopicSpec,
    pub ids: TopicSpec,
    pub facts: TopicSpec,
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

/// Creates the statements, dead-letter, documents, statement-id and analytics-facts topics named in `settings`, with `replication` replicas.
/// Returns the names of the topics it created.
pub async fn ensure(settings: &Settings, replication: i32) -> Result<Vec<String>, TopicError> {
    let specs = specs()?;
    let admin: AdminClient<DefaultClientContext> = crate::kafka::base_config(settings, "lrs-migrate").create()?;
    let wanted = [
        (&settings.statements_topic, &specs.statements),
        (&settings.dead_letter_topic, &specs.dead_letter),
        (&settings.documents_topic, &specs.documents),
        (&settings.ids_topic, &specs.ids),
        (&settings.facts_topic, &specs.facts),
    ];
    let configs: Vec<BTreeMap<String, String>> = wanted.iter().map(|(_, spec)| config_for(spec, replication)).collect();
    let new_topics: Vec<NewTopic> = wanted
        .iter()
        .zip(&configs)
        .map(|((name, spec), config)| {
            let mut t = NewTopic::new(name, spec.partitions, TopicReplication::Fixed(replication));
            for (k, v) in config {
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

/// The topic config for `replication` replicas: `min.insync.replicas` is capped so that one replica can be
/// down without refusing writes (2 of 3 in production, 1 of 1 on a single broker).
fn config_for(spec: &TopicSpec, replication: i32) -> BTreeMap<String, String> {
    let mut config = spec.config.clone();
    if let Some(v) = config.get_mut("min.insync.replicas") {
        let wanted: i32 = v.parse().unwrap_or(1);
        *v = wanted.min((replication - 1).max(1)).to_string();
    }
    config
}

#[cfg(test)]
mod tests {
    #[test]
    fn min_insync_fits_the_replication() {
        let spec = super::specs().expect("valid topics.json").statements;
        assert_eq!(super::config_for(&spec, 1)["min.insync.replicas"], "1");
        assert_eq!(super::config_for(&spec, 3)["min.insync.replicas"], "2");
    }

    #[test]
    fn topics_json_parses() {
        let specs = super::specs().expect("valid topics.json");
        assert!(specs.statements.partitions > 1, "statements need several partitions to scale out");
        assert!(specs.dead_letter.partitions >= 1);
        assert!(specs.documents.partitions >= 1);
    }
}

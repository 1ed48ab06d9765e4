//! Publishing document write commands to the documents topic (acks=all, idempotent producer), keyed so that
//! every command that can touch a document goes to the same partition.

use lrs_common::kafka::{
    self, Delivered, PublishError, Publisher, DOCUMENT_COMMAND_HEADER, STORE_HEADER, VERSION_HEADER,
};
use rdkafka::message::{Header, OwnedHeaders};
use xapi::document::Command;

pub struct CommandPublisher {
    publisher: Publisher,
    topic: String,
}

impl CommandPublisher {
    pub fn new(publisher: Publisher, topic: &str) -> Self {
        CommandPublisher { publisher, topic: topic.to_string() }
    }

    /// Returns once Kafka acknowledged the command (or failed to).
    pub async fn publish(&self, store: &str, command: &Command, body: &[u8]) -> Result<Delivered, PublishError> {
        let json = serde_json::to_string(command).unwrap_or_default();
        let key = command.key.partition_key(store);
        let headers = OwnedHeaders::new_with_capacity(3)
            .insert(Header { key: STORE_HEADER, value: Some(store) })
            .insert(Header { key: VERSION_HEADER, value: Some(command.version.as_str()) })
            .insert(Header { key: DOCUMENT_COMMAND_HEADER, value: Some(json.as_str()) });
        self.publisher
            .send(kafka::Record {
                topic: &self.topic,
                key: Some(key.as_bytes()),
                partition: None,
                payload: body,
                headers,
            })
            .await
    }
}

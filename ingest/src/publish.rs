//! Publishing a write request to the statements topic as ONE record (an envelope of all its statements and
//! attachments): Kafka stores it whole or not at all, so a request is atomic. It is answered only when Kafka
//! has acknowledged the record (acks=all), so an answered write survives any single crash.

use futures::future::BoxFuture;
use lrs_common::kafka::{self, Delivered, PublishError, Publisher, STORE_HEADER, VERSION_HEADER};
use rdkafka::message::{Header, OwnedHeaders};
use xapi::envelope::{Envelope, EnvelopeAttachment, EnvelopeError, EnvelopeStatement};
use xapi::{Prepared, XapiVersion};

/// An attachment's content, received in a multipart request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentContent {
    pub sha2: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Where accepted statements go. The trait keeps the HTTP handlers testable without a broker.
pub trait Publish: Send + Sync {
    fn publish<'a>(
        &'a self,
        store: &'a str,
        version: XapiVersion,
        statements: &'a [Prepared],
        attachments: &'a [AttachmentContent],
    ) -> BoxFuture<'a, Result<Delivered, PublishError>>;
}

/// The record value of one request; refused (never cut) when a field is too long for the envelope.
pub fn envelope(statements: &[Prepared], attachments: &[AttachmentContent]) -> Result<Vec<u8>, EnvelopeError> {
    Envelope {
        statements: statements
            .iter()
            .map(|s| EnvelopeStatement { fingerprint: s.fingerprint, json: &s.payload })
            .collect(),
        attachments: attachments
            .iter()
            .map(|a| EnvelopeAttachment { sha2: &a.sha2, content_type: &a.content_type, content: &a.content })
            .collect(),
    }
    .encode()
}

pub struct StatementPublisher {
    publisher: Publisher,
    topic: String,
}

impl StatementPublisher {
    pub fn new(publisher: Publisher, topic: &str) -> Self {
        StatementPublisher { publisher, topic: topic.to_string() }
    }
}

impl Publish for StatementPublisher {
    fn publish<'a>(
        &'a self,
        store: &'a str,
        version: XapiVersion,
        statements: &'a [Prepared],
        attachments: &'a [AttachmentContent],
    ) -> BoxFuture<'a, Result<Delivered, PublishError>> {
        Box::pin(async move {
            // The HTTP edge bounds every field, so this refusal means a bound is missing there: nothing is sent.
            let value = envelope(statements, attachments).map_err(|e| {
                tracing::error!(error = %e, "envelope refused a request the edge accepted");
                PublishError::TooLarge
            })?;
            // No key: the producer's sticky partitioner puts the records of concurrent requests into one
            // partition's batch for a moment, so a broker request carries one record batch instead of one per
            // partition (the broker's cost is per batch). Where a statement lands does not matter: the first
            // write of an id wins wherever its copies are.
            let headers = OwnedHeaders::new_with_capacity(2)
                .insert(Header { key: STORE_HEADER, value: Some(store) })
                .insert(Header { key: VERSION_HEADER, value: Some(version.header_value()) });
            self.publisher
                .send(kafka::Record { topic: &self.topic, key: None, partition: None, payload: &value, headers })
                .await
        })
    }
}

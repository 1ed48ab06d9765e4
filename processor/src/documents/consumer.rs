//! The Kafka loop of the documents consumer (its own consumer group, `<LRS_CONSUMER_GROUP>-documents`).

use super::apply::{apply, Incoming};
use super::store::DocumentStore;
use lrs_common::kafka::{base_config, metrics::CONSUMED, LoggingContext, DOCUMENT_COMMAND_HEADER, STORE_HEADER};
use lrs_common::{now_ms, Settings, Shutdown};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::time::Duration;
use xapi::document::Command;

/// Commands applied together at most (they share one load query and one insert per table).
const MAX_BATCH: usize = 200;
/// How long to wait for more records once one arrived, before applying the batch.
const GATHER: Duration = Duration::from_millis(2);

pub async fn consume(settings: Settings, shutdown: Shutdown) -> anyhow::Result<()> {
    let group = format!("{}-documents", settings.consumer_group);
    let consumer: StreamConsumer<LoggingContext> = base_config(&settings, "lrs-processor-documents")
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("isolation.level", "read_committed")
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "2000")
        .set("fetch.wait.max.ms", "10")
        .set("enable.partition.eof", "false")
        .create_with_context(LoggingContext)?;
    let topic = settings.documents_topic.clone();
    consumer.subscribe(&[&topic])?;
    tracing::info!(topic, group, "consuming document commands");
    let store = DocumentStore::new(lrs_common::clickhouse::client(&settings));

    loop {
        let first = tokio::select! {
            _ = shutdown.wait() => break,
            received = consumer.recv() => received,
        };
        let mut batch = Vec::new();
        let mut next_offsets: BTreeMap<i32, i64> = BTreeMap::new();
        match first {
            Ok(m) => take(&m, &mut batch, &mut next_offsets),
            Err(e) => {
                tracing::warn!(error = %e, "consume error");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        }
        while batch.len() < MAX_BATCH {
            match tokio::time::timeout(GATHER, consumer.recv()).await {
                Ok(Ok(m)) => take(&m, &mut batch, &mut next_offsets),
                _ => break,
            }
        }
        if !apply_with_retries(&store, &batch, &shutdown).await {
            break;
        }
        let mut tpl = TopicPartitionList::new();
        for (p, o) in &next_offsets {
            if let Err(e) = tpl.add_partition_offset(&topic, *p, Offset::Offset(*o)) {
                tracing::error!(error = %e, partition = p, "bad commit offset");
            }
        }
        if let Err(e) = consumer.commit(&tpl, CommitMode::Async) {
            tracing::warn!(error = %e, "offset commit failed; the commands will be re-applied, with the same result");
        }
    }
    consumer.unsubscribe();
    tracing::info!("documents consumer stopped");
    Ok(())
}

/// Loads, decides and stores the batch, retrying with bounded backoff; false when shut down first (nothing
/// is committed then, and the batch is applied again, identically, after a restart).
async fn apply_with_retries(store: &DocumentStore, batch: &[Incoming], shutdown: &Shutdown) -> bool {
    if batch.is_empty() {
        return true;
    }
    let mut backoff = Duration::from_millis(50);
    loop {
        let attempt = async {
            let mut current = store.load(batch).await?;
            let applied = apply(batch, &mut current, now_ms());
            store.write(&applied).await
        };
        match attempt.await {
            Ok(()) => return true,
            Err(e) => {
                tracing::error!(error = %e, commands = batch.len(), "applying document commands failed, retrying")
            }
        }
        tokio::select! {
            _ = shutdown.wait() => return false,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// Decodes a record into the batch; an undecodable one is logged and skipped (its offset still advances).
fn take(message: &BorrowedMessage<'_>, batch: &mut Vec<Incoming>, next_offsets: &mut BTreeMap<i32, i64>) {
    CONSUMED.with_label_values(&[message.topic()]).inc();
    let next = next_offsets.entry(message.partition()).or_insert(message.offset() + 1);
    *next = (*next).max(message.offset() + 1);
    let header = |name: &str| message.headers().and_then(|h| h.iter().find(|h| h.key == name)).and_then(|h| h.value);
    let store = header(STORE_HEADER).and_then(|v| std::str::from_utf8(v).ok());
    let command = header(DOCUMENT_COMMAND_HEADER).and_then(|v| serde_json::from_slice::<Command>(v).ok());
    match (store, command) {
        (Some(store), Some(command)) => batch.push(Incoming {
            store: store.to_string(),
            partition: message.partition(),
            offset: message.offset(),
            command,
            body: message.payload().unwrap_or_default().to_vec(),
        }),
        _ => tracing::error!(
            partition = message.partition(),
            offset = message.offset(),
            "undecodable document command skipped"
        ),
    }
}

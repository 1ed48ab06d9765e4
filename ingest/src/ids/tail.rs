//! Keeping the filter and the recent table current: the ids already stored are read once from ClickHouse
//! (the filter is ready after that), and the statement-id log the processors publish after each write is
//! tailed from a minute before that read started, so no id written meanwhile is missed (adding an id twice
//! is harmless). Ids the log reports with another fingerprint than the one this gateway acknowledged are
//! conflicts between gateways that first write wins decided: they are counted.

use super::recent::{Known, Recent};
use crate::metrics::{CONFLICTS_LATE, ID_FILTER_ITEMS};
use lrs_common::clickhouse::Db;
use lrs_common::id_filter::IdFilter;
use lrs_common::kafka::{base_config, idlog, LoggingContext, STORE_HEADER};
use lrs_common::{now_ms, Backoff, Settings};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Stops the tail thread when dropped.
pub struct Tail {
    stop: Arc<AtomicBool>,
}

impl Drop for Tail {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

pub fn start(settings: &Settings, db: Db, filter: Arc<IdFilter>, recent: Arc<Recent>) -> Tail {
    let stop = Arc::new(AtomicBool::new(false));
    let from_ms = now_ms() - 60_000;
    let consumer = base_config(settings, "lrs-ingest-idlog")
        .set("group.id", format!("lrs-ingest-idlog-{}", Uuid::new_v4().simple()))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .set("fetch.wait.max.ms", "50")
        // The log is a trickle (one record per processor batch): a small prefetch queue is plenty, and it
        // counts against the gateway's memory.
        .set("queued.max.messages.kbytes", "4096")
        .create_with_context::<_, BaseConsumer<LoggingContext>>(LoggingContext);
    match consumer {
        Ok(consumer) => {
            let (topic, stop, filter, recent) =
                (settings.ids_topic.clone(), stop.clone(), filter.clone(), recent.clone());
            let spawned = std::thread::Builder::new()
                .name("lrs-idlog-tail".into())
                .spawn(move || tail(consumer, &topic, from_ms, &filter, &recent, &stop));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start the id log tail; client-chosen ids are looked up in ClickHouse");
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "could not create the id log consumer; client-chosen ids are looked up in ClickHouse")
        }
    }
    let stop_bootstrap = stop.clone();
    tokio::spawn(async move {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        while !stop_bootstrap.load(Ordering::Relaxed) {
            match bootstrap(&db, &filter).await {
                Ok(n) => {
                    filter.set_ready();
                    tracing::info!(ids = n, "id filter ready");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reading the stored ids failed; retrying (client-chosen ids are looked up meanwhile)");
                    tokio::time::sleep(backoff.next_delay()).await;
                }
            }
        }
    });
    Tail { stop }
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct StoredId {
    store: String,
    #[serde(with = "clickhouse::serde::uuid")]
    id: Uuid,
}

async fn bootstrap(db: &Db, filter: &IdFilter) -> Result<u64, lrs_common::clickhouse::DbError> {
    let stored: u64 = db.query("SELECT count() FROM statements").fetch_one().await?;
    filter.expect(stored + stored / 4);
    let mut cursor = db.query("SELECT store, id FROM statements").fetch::<StoredId>()?;
    let mut n = 0u64;
    while let Some(row) = cursor.next().await? {
        filter.insert(&row.store, row.id);
        n += 1;
        if n.is_multiple_of(100_000) {
            ID_FILTER_ITEMS.set(filter.len() as i64);
        }
    }
    ID_FILTER_ITEMS.set(filter.len() as i64);
    Ok(n)
}

fn late_conflict(id: Uuid) {
    CONFLICTS_LATE.inc();
    tracing::warn!(%id, "two different statements were accepted with one id through different gateways; the first stored wins");
}

fn assign(consumer: &BaseConsumer<LoggingContext>, topic: &str, from_ms: i64) -> Result<(), String> {
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(5)).map_err(|e| e.to_string())?;
    let partitions: Vec<i32> =
        metadata.topics().first().map(|t| t.partitions().iter().map(|p| p.id()).collect()).unwrap_or_default();
    if partitions.is_empty() {
        return Err(format!("topic {topic} has no partitions"));
    }
    let mut times = TopicPartitionList::new();
    for p in &partitions {
        times.add_partition_offset(topic, *p, Offset::Offset(from_ms)).map_err(|e| e.to_string())?;
    }
    let starts = consumer.offsets_for_times(times, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    let mut tpl = TopicPartitionList::new();
    for e in starts.elements() {
        // No record that late yet: start at the end.
        let at = match e.offset() {
            Offset::Offset(o) if o >= 0 => Offset::Offset(o),
            _ => Offset::End,
        };
        tpl.add_partition_offset(topic, e.partition(), at).map_err(|e| e.to_string())?;
    }
    consumer.assign(&tpl).map_err(|e| e.to_string())
}

fn tail(
    consumer: BaseConsumer<LoggingContext>,
    topic: &str,
    from_ms: i64,
    filter: &IdFilter,
    recent: &Recent,
    stop: &AtomicBool,
) {
    let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(10));
    while let Err(e) = assign(&consumer, topic, from_ms) {
        tracing::warn!(error = %e, topic, "id log not available yet; retrying");
        if stop.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(backoff.next_delay());
    }
    let mut stores: HashMap<Vec<u8>, Arc<str>> = HashMap::new();
    while !stop.load(Ordering::Relaxed) {
        let Some(polled) = consumer.poll(Duration::from_millis(100)) else { continue };
        let message = match polled {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "id log consume error");
                continue;
            }
        };
        let store = message.headers().and_then(|h| h.iter().find(|h| h.key == STORE_HEADER)).and_then(|h| h.value);
        let (Some(store), Some(entries)) = (store, message.payload().and_then(idlog::decode)) else {
            tracing::warn!(
                partition = message.partition(),
                offset = message.offset(),
                "undecodable id log record skipped"
            );
            continue;
        };
        let store = match stores.get(store) {
            Some(s) => s.clone(),
            None => {
                let s: Arc<str> = String::from_utf8_lossy(store).into();
                stores.insert(store.to_vec(), s.clone());
                s
            }
        };
        for e in entries {
            let known = Known { fingerprint: e.fingerprint, timestamp_ms: e.timestamp_ms, pending: false };
            match recent.confirm(&store, e.id, known) {
                // Confirmed before (this gateway's own record, or a redelivery): the filter has it already.
                Some(before) if !before.pending => {
                    if before.fingerprint != e.fingerprint {
                        late_conflict(e.id);
                    }
                }
                Some(before) => {
                    filter.insert(&store, e.id);
                    if before.fingerprint != e.fingerprint {
                        late_conflict(e.id);
                    }
                }
                None => filter.insert(&store, e.id),
            }
        }
        ID_FILTER_ITEMS.set(filter.len() as i64);
    }
}

//! The consume loop. Records are decoded into a batch; a full (or old enough) batch is written to ClickHouse
//! in a background task while the loop keeps polling (pausing its partitions if the next batch fills first);
//! offsets are committed only after the write succeeded, batch after batch, so per partition they only move
//! past written rows. Rebalances may make another consumer re-write a batch: writes are idempotent.

use super::context::{ProcessorContext, RebalanceEvent};
use super::dead_letter::DeadLetters;
use crate::batch::{Batch, Limits};
use crate::clickhouse::RowSink;
use crate::transform::{to_rows, DecodeError, Position, RecordRows};
use crate::watermark::{PartitionState, Progress};
use lrs_common::kafka::{base_config, metrics::CONSUMED, STORE_HEADER};
use lrs_common::{now_ms, Settings, Shutdown};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};

pub struct SourceConfig {
    pub limits: Limits,
    /// Allowance for gateway clock skew and produce latency in consistency watermarks.
    pub skew_ms: i64,
    pub shutdown_grace: Duration,
}

struct Written {
    next_offsets: BTreeMap<i32, i64>,
    newest_stored: BTreeMap<i32, i64>,
}

type Flush = JoinHandle<Written>;

pub async fn consume(
    settings: &Settings,
    config: SourceConfig,
    sink: Arc<dyn RowSink>,
    dead_letters: DeadLetters,
    shutdown: Shutdown,
    consuming: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let context = ProcessorContext::default();
    let consumer: StreamConsumer<ProcessorContext> = base_config(settings, "lrs-processor")
        .set("group.id", &settings.consumer_group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("isolation.level", "read_committed")
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "2000")
        .set("max.poll.interval.ms", "300000")
        .set("queued.max.messages.kbytes", "65536")
        .set("enable.partition.eof", "false")
        .create_with_context(context.clone())?;
    let topic = settings.statements_topic.clone();
    consumer.subscribe(&[&topic])?;
    tracing::info!(topic, group = settings.consumer_group, "consuming");
    consuming.store(true, Ordering::Relaxed);
    // Not ready once the loop has ended, however it ended.
    let _not_consuming = scopeguard(move || consuming.store(false, Ordering::Relaxed));

    let mut state = LoopState {
        topic,
        assigned: BTreeSet::new(),
        start_positions: BTreeMap::new(),
        progress: Progress::default(),
        partition_count: 0,
    };
    let mut batch = Batch::default();
    let mut inflight: Option<Flush> = None;
    let mut paused = false;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    loop {
        let deadline = batch.deadline(&config.limits).map(Instant::from_std);
        tokio::select! {
            biased;
            _ = shutdown.wait() => break,
            joined = async { inflight.as_mut().expect("guarded by the branch condition").await }, if inflight.is_some() => {
                inflight = None;
                let written = joined?;
                state.commit(&consumer, &written.next_offsets, CommitMode::Async);
                state.progress.written(&written.newest_stored);
                if paused {
                    state.set_paused(&consumer, false);
                    paused = false;
                }
            }
            received = consumer.recv() => match received {
                Ok(message) => handle(&message, &mut batch, &dead_letters, &shutdown).await,
                Err(e) => {
                    tracing::warn!(error = %e, "consume error");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = async { sleep_until(deadline.unwrap_or_else(Instant::now)).await }, if deadline.is_some() && inflight.is_none() => {
                inflight = Some(start_flush(&sink, batch.take()));
            }
            _ = tick.tick() => {
                let nothing_pending = batch.is_empty() && inflight.is_none();
                state.report(&consumer, &*sink, nothing_pending, config.skew_ms).await;
            }
        }
        for event in context.take_events() {
            state.rebalanced(event, &mut batch, &consumer);
        }
        if batch.is_full(&config.limits) {
            if inflight.is_none() {
                inflight = Some(start_flush(&sink, batch.take()));
            } else if !paused {
                state.set_paused(&consumer, true);
                paused = true;
            }
        }
    }

    // Drain: finish the write in flight, write what is buffered, commit synchronously, all within the grace.
    let drain = async {
        if let Some(flush) = inflight.take() {
            let written = flush.await?;
            state.commit(&consumer, &written.next_offsets, CommitMode::Sync);
        }
        if !batch.is_empty() {
            let written = start_flush(&sink, batch.take()).await?;
            state.commit(&consumer, &written.next_offsets, CommitMode::Sync);
        }
        Ok::<_, anyhow::Error>(())
    };
    match tokio::time::timeout(config.shutdown_grace, drain).await {
        Ok(result) => result?,
        Err(_) => tracing::warn!("drain did not finish within the grace period; uncommitted records will be re-read"),
    }
    consumer.unsubscribe();
    tracing::info!("consumer stopped");
    Ok(())
}

async fn handle(message: &BorrowedMessage<'_>, batch: &mut Batch, dead_letters: &DeadLetters, shutdown: &Shutdown) {
    CONSUMED.with_label_values(&[message.topic()]).inc();
    let at = Position { partition: message.partition(), offset: message.offset() };
    let store = message
        .headers()
        .and_then(|h| h.iter().find(|h| h.key == STORE_HEADER))
        .and_then(|h| h.value)
        .and_then(|v| std::str::from_utf8(v).ok());
    match to_rows(store, message.payload(), at, now_ms()) {
        Ok(rows) => batch.push(rows, at),
        Err(e) => {
            let kind = match e {
                DecodeError::NoPayload => "no_payload",
                DecodeError::MissingHeader(_) => "missing_header",
                DecodeError::Envelope(_) | DecodeError::Statement { .. } => "undecodable",
            };
            if dead_letters.send(message, &e.to_string(), kind, shutdown).await {
                batch.skip(at);
            }
        }
    }
}

/// Writes the batch in the background, retrying with bounded backoff until it succeeds: the rows are kept
/// here, so every attempt sends the same rows. Only the shutdown grace (or a crash) ends it early, and then
/// nothing is committed.
fn start_flush(sink: &Arc<dyn RowSink>, batch: Batch) -> Flush {
    let sink = sink.clone();
    tokio::spawn(async move {
        let statements = batch.len();
        let mut tables = RecordRows::default();
        for (_, rows) in batch.records {
            tables.statements.extend(rows.statements);
            tables.index.extend(rows.index);
            tables.voids.extend(rows.voids);
            tables.refs.extend(rows.refs);
            tables.attachments.extend(rows.attachments);
            tables.activities.extend(rows.activities);
            tables.agents.extend(rows.agents);
        }
        crate::transform::dedup_by(&mut tables.activities, |a| {
            (a.store.clone(), a.activity_id.clone(), a.definition_hash)
        });
        crate::transform::dedup_by(&mut tables.agents, |a| (a.store.clone(), a.key.clone(), a.agent.clone()));
        let mut backoff = Duration::from_millis(100);
        let mut attempt = 0u32;
        let mut linked = false;
        let mut written = false;
        while !tables.statements.is_empty() {
            let result = async {
                if !linked {
                    let via = crate::refs::via_rows(&tables.statements, &tables.refs, &*sink).await?;
                    tables.index.extend(via);
                    linked = true;
                }
                if !written {
                    sink.write_tables(&tables).await?;
                    written = true;
                }
                // A referrer and its target written at the same moment by two processors each miss the other in
                // the lookup above. Each looks again after its own write: of two write-then-read sequences at
                // least one read sees the other's write, so the pair is linked by one of them. Committed only
                // after this, so a crash repeats it.
                let again = crate::refs::via_rows(&tables.statements, &tables.refs, &*sink).await?;
                let known: std::collections::HashSet<_> =
                    tables.index.iter().map(|r| (r.dim, &r.key, r.id, r.via)).collect();
                let late: Vec<_> =
                    again.into_iter().filter(|r| !known.contains(&(r.dim, &r.key, r.id, r.via))).collect();
                if !late.is_empty() {
                    tracing::info!(rows = late.len(), "statement references linked after a concurrent write");
                    sink.write_tables(&RecordRows { index: late, ..RecordRows::default() }).await?;
                }
                Ok::<_, crate::clickhouse::SinkError>(())
            }
            .await;
            let Err(e) = result else { break };
            attempt += 1;
            if e.is_backpressure() {
                tracing::warn!(error = %e, attempt, statements, "clickhouse asks to slow down, retrying");
            } else {
                tracing::error!(error = %e, attempt, statements, "insert failed, retrying");
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
        Written { next_offsets: batch.next_offsets, newest_stored: batch.newest_stored }
    })
}

struct LoopState {
    topic: String,
    assigned: BTreeSet<i32>,
    /// Committed offsets at assignment: the position of a partition nothing was read from since.
    start_positions: BTreeMap<i32, i64>,
    progress: Progress,
    partition_count: i32,
}

impl LoopState {
    fn commit(&self, consumer: &StreamConsumer<ProcessorContext>, next: &BTreeMap<i32, i64>, mode: CommitMode) {
        let mut tpl = TopicPartitionList::new();
        for (p, offset) in next.iter().filter(|(p, _)| self.assigned.contains(p)) {
            if let Err(e) = tpl.add_partition_offset(&self.topic, *p, Offset::Offset(*offset)) {
                tracing::error!(error = %e, partition = p, "bad commit offset");
            }
        }
        if tpl.count() == 0 {
            return;
        }
        if let Err(e) = consumer.commit(&tpl, mode) {
            tracing::warn!(error = %e, "offset commit failed; the records will be re-read and re-written idempotently");
        }
    }

    fn set_paused(&self, consumer: &StreamConsumer<ProcessorContext>, pause: bool) {
        let result =
            consumer.assignment().and_then(|tpl| if pause { consumer.pause(&tpl) } else { consumer.resume(&tpl) });
        match result {
            Ok(()) => tracing::debug!(pause, "backpressure"),
            Err(e) => tracing::warn!(error = %e, pause, "could not change partition pause state"),
        }
    }

    fn rebalanced(&mut self, event: RebalanceEvent, batch: &mut Batch, consumer: &StreamConsumer<ProcessorContext>) {
        match event {
            RebalanceEvent::Assigned(partitions) => {
                let mut tpl = TopicPartitionList::new();
                for p in &partitions {
                    tpl.add_partition(&self.topic, *p);
                }
                match consumer.committed_offsets(tpl, Duration::from_secs(5)) {
                    Ok(committed) => {
                        for e in committed.elements() {
                            if let Offset::Offset(o) = e.offset() {
                                self.start_positions.insert(e.partition(), o);
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "could not read committed offsets"),
                }
                self.assigned.extend(partitions);
                self.partition_count = consumer
                    .fetch_metadata(Some(&self.topic), Duration::from_secs(5))
                    .ok()
                    .and_then(|m| m.topics().first().map(|t| t.partitions().len() as i32))
                    .unwrap_or(self.partition_count);
            }
            RebalanceEvent::Revoked(partitions) => {
                batch.drop_partitions(&partitions);
                self.progress.forget(&partitions);
                for p in &partitions {
                    self.assigned.remove(p);
                    self.start_positions.remove(p);
                }
            }
        }
    }

    /// Writes this consumer's consistency watermarks (best effort: a failed write is retried next tick).
    async fn report(
        &self,
        consumer: &StreamConsumer<ProcessorContext>,
        sink: &dyn RowSink,
        nothing_pending: bool,
        skew_ms: i64,
    ) {
        if self.assigned.is_empty() || self.partition_count == 0 {
            return;
        }
        let positions: BTreeMap<i32, i64> = consumer
            .position()
            .map(|tpl| {
                tpl.elements()
                    .iter()
                    .filter_map(|e| match e.offset() {
                        Offset::Offset(o) => Some((e.partition(), o)),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let states: Vec<PartitionState> = self
            .assigned
            .iter()
            .map(|&p| PartitionState {
                partition: p,
                position: positions
                    .get(&p)
                    .or_else(|| self.start_positions.get(&p))
                    .copied()
                    .or_else(|| empty_partition_end(consumer, &self.topic, p)),
                high_watermark: cached_watermarks(consumer, &self.topic, p).map(|(_, high)| high).filter(|h| *h >= 0),
            })
            .collect();
        let marks = self.progress.marks(&self.topic, self.partition_count, &states, nothing_pending, now_ms(), skew_ms);
        if marks.is_empty() {
            return;
        }
        match tokio::time::timeout(Duration::from_secs(5), sink.write_watermarks(&marks)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "watermark write failed"),
            Err(_) => tracing::warn!("watermark write timed out"),
        }
    }
}

/// A partition with no committed offset and no record read has no position; when it is empty (low = high)
/// its end is where reading would start.
fn empty_partition_end(consumer: &StreamConsumer<ProcessorContext>, topic: &str, partition: i32) -> Option<i64> {
    let (low, high) = cached_watermarks(consumer, topic, partition)?;
    (low >= 0 && low == high).then_some(high)
}

/// The partition's low and high offsets as last seen in fetch responses, without a broker round trip
/// (librdkafka's `rd_kafka_get_watermark_offsets`, which rust-rdkafka does not wrap).
fn cached_watermarks(consumer: &StreamConsumer<ProcessorContext>, topic: &str, partition: i32) -> Option<(i64, i64)> {
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

/// Runs `f` when dropped.
fn scopeguard(f: impl FnOnce()) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}

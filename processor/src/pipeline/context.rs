//! What the source loop and the consumer's callbacks share. Rebalance callbacks run on the poll thread,
//! inside `poll`: on a revocation the callback waits (bounded) for the batches being written, commits what
//! they wrote synchronously while the partitions are still ours, and only then lets the consumer release
//! them, so the next owner starts exactly after what was written (Vector's "drain and sync-commit on
//! revoke"). Everything else is recorded for the loop to handle after `poll` returns.

use super::consumer::commit_offsets;
use lrs_common::kafka::{log_rdkafka, metrics::record_statistics};
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::statistics::Statistics;
use rdkafka::TopicPartitionList;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RebalanceEvent {
    Assigned(Vec<i32>),
    Revoked(Vec<i32>),
}

/// A batch the writer finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// Written: commit these next offsets; the newest `stored` per partition.
    Written { next_offsets: BTreeMap<i32, i64>, newest_ms: BTreeMap<i32, i64> },
    /// Given up (shutdown while retrying): nothing to commit, the records are read again later.
    Abandoned,
}

/// The writer's answers, the batches it still owes, and answers already committed by a rebalance drain.
pub struct Completions {
    rx: Receiver<Done>,
    pub outstanding: usize,
    /// Answers a drain committed, for the loop's bookkeeping (it must not commit them again).
    pub drained: Vec<Done>,
}

impl Completions {
    pub fn new(rx: Receiver<Done>) -> Self {
        Completions { rx, outstanding: 0, drained: Vec::new() }
    }

    /// An answer if one is ready.
    pub fn try_next(&mut self) -> Option<Done> {
        let done = self.rx.try_recv().ok()?;
        self.outstanding = self.outstanding.saturating_sub(1);
        Some(done)
    }

    /// Waits until every batch sent to the writer is answered (or `timeout`), committing each written one
    /// with `commit`. Returns whether all were answered.
    pub fn drain(&mut self, timeout: Duration, commit: impl Fn(&BTreeMap<i32, i64>)) -> bool {
        let deadline = Instant::now() + timeout;
        while self.outstanding > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(done) => {
                    self.outstanding -= 1;
                    if let Done::Written { next_offsets, .. } = &done {
                        commit(next_offsets);
                    }
                    self.drained.push(done);
                }
                Err(RecvTimeoutError::Timeout) => return false,
                Err(RecvTimeoutError::Disconnected) => {
                    self.outstanding = 0;
                    return false;
                }
            }
        }
        true
    }
}

/// Shared by the loop and the consumer context.
pub struct Hooks {
    pub topic: String,
    events: Mutex<Vec<RebalanceEvent>>,
    completions: Mutex<Completions>,
    /// How long a revocation waits for the writer.
    pub drain_timeout: Duration,
    /// Counts assignments, for a writer whose state depends on which partitions it owns.
    assignments: Option<Arc<AtomicU64>>,
}

impl Hooks {
    pub fn new(topic: &str, completions: Completions, drain_timeout: Duration) -> Self {
        Hooks {
            topic: topic.to_string(),
            events: Mutex::new(Vec::new()),
            completions: Mutex::new(completions),
            drain_timeout,
            assignments: None,
        }
    }

    #[must_use]
    pub fn counting_assignments(mut self, counter: Option<Arc<AtomicU64>>) -> Self {
        self.assignments = counter;
        self
    }

    pub fn completions(&self) -> MutexGuard<'_, Completions> {
        self.completions.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, event: RebalanceEvent) {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }

    pub fn take_events(&self) -> Vec<RebalanceEvent> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// A revocation: drain the writer, committing through `commit`, then record it for the loop.
    pub fn revoke(&self, partitions: Vec<i32>, commit: impl Fn(&BTreeMap<i32, i64>)) {
        let drained = self.completions().drain(self.drain_timeout, commit);
        if !drained {
            tracing::warn!(
                ?partitions,
                "writes still in flight when partitions were revoked; the next owner repeats them"
            );
        }
        self.push(RebalanceEvent::Revoked(partitions));
    }
}

pub struct PipelineContext {
    hooks: Arc<Hooks>,
}

impl PipelineContext {
    pub fn new(hooks: Arc<Hooks>) -> Self {
        PipelineContext { hooks }
    }
}

fn partitions(tpl: &TopicPartitionList) -> Vec<i32> {
    tpl.elements().iter().map(|e| e.partition()).collect()
}

impl ClientContext for PipelineContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        log_rdkafka(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::error!(%error, reason, "kafka client error");
    }

    fn stats(&self, statistics: Statistics) {
        record_statistics(&statistics);
    }
}

impl ConsumerContext for PipelineContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            let revoked = partitions(tpl);
            tracing::info!(topic = self.hooks.topic, ?revoked, "partitions revoked, draining");
            self.hooks.revoke(revoked, |next| {
                if let Err(e) = commit_offsets(consumer, &self.hooks.topic, next, true) {
                    tracing::warn!(error = %e, "commit while draining failed; the records will be written again");
                }
            });
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                let assigned = partitions(tpl);
                tracing::info!(topic = self.hooks.topic, ?assigned, "partitions assigned");
                if let Some(counter) = &self.hooks.assignments {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                self.hooks.push(RebalanceEvent::Assigned(assigned));
            }
            Rebalance::Error(e) => tracing::error!(error = %e, "rebalance failed"),
            Rebalance::Revoke(_) => {}
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        if let Err(e) = result {
            tracing::warn!(error = %e, partitions = ?partitions(offsets), "offset commit failed; the records will be re-read and re-written idempotently");
        }
    }
}

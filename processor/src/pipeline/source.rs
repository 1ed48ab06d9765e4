//! The source loop, on its own thread: poll, decode, batch, hand full (or old, or quiet) batches to the
//! writer, pause the partitions while the writer is behind or ClickHouse asks to slow down, and commit what
//! the writer reports written. It never waits on ClickHouse or on the dead-letter topic, so it keeps polling
//! (and stays in its consumer group) whatever the writer is going through.

use super::batch::{Batch, Entry, Limits};
use super::consumer::Consumer;
use super::context::{Done, Hooks, RebalanceEvent};
use super::Strategy;
use crate::metrics::{BACKPRESSURE, BATCH_ROWS};
use crate::statements::rows::WatermarkRow;
use crate::watermark::Progress;
use lrs_common::kafka::metrics::CONSUMED;
use lrs_common::{now_ms, Shutdown};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Batches handed to the writer and not yet answered, at most: one being written, the next one filling.
const MAX_OUTSTANDING: usize = 1;

pub struct SourceConfig {
    pub limits: Limits,
    /// How long the final drain may wait for the writer at shutdown.
    pub shutdown_grace: Duration,
    /// Consistency watermarks: written every second when set (the statements topic).
    pub watermarks: Option<WatermarkConfig>,
}

pub struct WatermarkConfig {
    pub skew_ms: i64,
    pub rows: mpsc::Sender<Vec<WatermarkRow>>,
}

/// Runs until `shutdown`; then writes what it holds and commits it (within the grace). An error means the
/// writer is gone: the pipeline cannot go on.
pub fn run<C: Consumer, S: Strategy>(
    consumer: &C,
    strategy: &S,
    hooks: &Hooks,
    writer: &mpsc::Sender<Batch<S::Item>>,
    slow: &AtomicBool,
    shutdown: &Shutdown,
    config: &SourceConfig,
) -> anyhow::Result<()> {
    let mut state = State {
        assigned: BTreeSet::new(),
        start_positions: BTreeMap::new(),
        progress: Progress::default(),
        partition_count: 0,
        paused: false,
        last_report: Instant::now(),
        pause_unknown: false,
    };
    let mut batch: Batch<S::Item> = Batch::default();
    let weigh = |e: &Entry<S::Item>| match e {
        Entry::Item(i) => S::weight(i),
        Entry::Dead { .. } => (0, 0),
    };
    while !shutdown.is_triggered() {
        state.answers(consumer, hooks);
        for event in hooks.take_events() {
            state.rebalanced(event, consumer, &mut batch, &weigh);
        }
        let outstanding = hooks.completions().outstanding;
        let slowing = slow.load(Ordering::Relaxed);
        let due = batch.deadline(&config.limits).is_some_and(|d| Instant::now() >= d) || batch.is_full(&config.limits);
        if due && !slowing && outstanding < MAX_OUTSTANDING {
            ship(writer, hooks, batch.take())?;
        }
        let behind = slowing || (batch.is_full(&config.limits) && hooks.completions().outstanding >= MAX_OUTSTANDING);
        state.set_paused(consumer, behind);
        if let Some(wm) = &config.watermarks {
            state.report(consumer, wm, batch.is_empty() && hooks.completions().outstanding == 0);
        }
        // A written batch is committed at the next turn of the loop, and reads wait for that commit: while the
        // writer owes an answer the loop turns every couple of milliseconds.
        let owed = hooks.completions().outstanding > 0;
        let wait = match batch.deadline(&config.limits) {
            Some(d) => {
                d.saturating_duration_since(Instant::now()).clamp(Duration::from_millis(1), Duration::from_millis(50))
            }
            None => Duration::from_millis(100),
        };
        let wait = if owed { wait.min(Duration::from_millis(2)) } else { wait };
        let polled = consumer.poll(wait);
        // Rebalance callbacks ran inside the poll: the record it returned may be from a partition assigned
        // just now, so the assignment is brought up to date before the record is looked at.
        for event in hooks.take_events() {
            state.rebalanced(event, consumer, &mut batch, &weigh);
        }
        match polled {
            None => {}
            Some(Err(e)) => tracing::warn!(topic = consumer.topic(), error = %e, "consume error"),
            Some(Ok(record)) => {
                CONSUMED.with_label_values(&[consumer.topic()]).inc();
                let (partition, offset) = (record.partition, record.offset);
                if !state.assigned.contains(&partition) {
                    // A record fetched before a revocation took effect: its new owner reads it.
                    continue;
                }
                match strategy.decode(&record) {
                    Ok(item) => {
                        let (weight, newest) = (S::weight(&item), S::newest_ms(&item));
                        batch.push(partition, offset, Entry::Item(item), weight, newest);
                    }
                    Err(e) => batch.push(
                        partition,
                        offset,
                        Entry::Dead { record, kind: e.kind, reason: e.reason },
                        (0, 0),
                        None,
                    ),
                }
            }
        }
    }
    // Drain: the last batch goes to the writer, and everything it writes within the grace is committed.
    if !batch.is_empty() {
        ship(writer, hooks, batch.take())?;
    }
    state.answers(consumer, hooks);
    let committed = hooks.completions().drain(config.shutdown_grace, |next| {
        if let Err(e) = consumer.commit(&state.owned(next), true) {
            tracing::warn!(error = %e, "final commit failed; the records will be written again");
        }
    });
    if !committed {
        tracing::warn!(
            topic = consumer.topic(),
            "drain did not finish within the grace period; uncommitted records will be re-read"
        );
    }
    Ok(())
}

fn ship<T>(writer: &mpsc::Sender<Batch<T>>, hooks: &Hooks, batch: Batch<T>) -> anyhow::Result<()> {
    BATCH_ROWS.observe(batch.rows() as f64);
    hooks.completions().outstanding += 1;
    writer.blocking_send(batch).map_err(|_| anyhow::anyhow!("the writer has stopped"))
}

struct State {
    assigned: BTreeSet<i32>,
    /// Committed offsets at assignment: the position of a partition nothing was read from since.
    start_positions: BTreeMap<i32, i64>,
    progress: Progress,
    partition_count: i32,
    paused: bool,
    /// After a rebalance the consumer's pause state is not known: the next decision is applied either way.
    pause_unknown: bool,
    last_report: Instant,
}

impl State {
    /// The offsets of partitions this consumer still owns (a batch written across a rebalance may hold others).
    fn owned(&self, next: &BTreeMap<i32, i64>) -> BTreeMap<i32, i64> {
        next.iter().filter(|(p, _)| self.assigned.contains(p)).map(|(p, o)| (*p, *o)).collect()
    }

    /// Commits what the writer finished (answers a drain already committed only update the progress).
    fn answers<C: Consumer>(&mut self, consumer: &C, hooks: &Hooks) {
        let (ready, drained) = {
            let mut completions = hooks.completions();
            let mut ready = Vec::new();
            while let Some(done) = completions.try_next() {
                ready.push(done);
            }
            (ready, std::mem::take(&mut completions.drained))
        };
        for done in ready {
            if let Done::Written { next_offsets, .. } = &done {
                if let Err(e) = consumer.commit(&self.owned(next_offsets), false) {
                    tracing::warn!(error = %e, "offset commit failed; the records will be re-read and re-written idempotently");
                }
            }
            self.note(done);
        }
        for done in drained {
            self.note(done);
        }
    }

    fn note(&mut self, done: Done) {
        if let Done::Written { newest_ms, .. } = done {
            let owned: BTreeMap<i32, i64> = newest_ms.into_iter().filter(|(p, _)| self.assigned.contains(p)).collect();
            self.progress.written(&owned);
        }
    }

    fn rebalanced<C: Consumer, T>(
        &mut self,
        event: RebalanceEvent,
        consumer: &C,
        batch: &mut Batch<T>,
        weigh: &impl Fn(&Entry<T>) -> (usize, usize),
    ) {
        match event {
            RebalanceEvent::Assigned(partitions) => {
                self.start_positions.extend(consumer.committed(&partitions));
                self.assigned.extend(partitions);
                self.partition_count = consumer.partition_count().unwrap_or(self.partition_count);
                self.pause_unknown = true;
            }
            RebalanceEvent::Revoked(partitions) => {
                batch.drop_partitions(&partitions, weigh);
                self.progress.forget(&partitions);
                for p in &partitions {
                    self.assigned.remove(p);
                    self.start_positions.remove(p);
                }
            }
        }
    }

    fn set_paused<C: Consumer>(&mut self, consumer: &C, pause: bool) {
        if (pause == self.paused && !self.pause_unknown) || self.assigned.is_empty() {
            return;
        }
        let partitions: Vec<i32> = self.assigned.iter().copied().collect();
        let result = if pause { consumer.pause(&partitions) } else { consumer.resume(&partitions) };
        match result {
            Ok(()) => {
                self.paused = pause;
                self.pause_unknown = false;
                BACKPRESSURE.with_label_values(&[consumer.topic()]).set(i64::from(pause));
                tracing::debug!(topic = consumer.topic(), pause, "backpressure");
            }
            Err(e) => tracing::warn!(error = %e, pause, "could not change partition pause state"),
        }
    }

    /// Once a second: this consumer's consistency watermarks, handed to the task that writes them.
    fn report<C: Consumer>(&mut self, consumer: &C, config: &WatermarkConfig, nothing_pending: bool) {
        if self.last_report.elapsed() < Duration::from_secs(1) || self.assigned.is_empty() || self.partition_count == 0
        {
            return;
        }
        self.last_report = Instant::now();
        let partitions: Vec<i32> = self.assigned.iter().copied().collect();
        let mut states = consumer.progress(&partitions);
        for s in &mut states {
            s.position = s.position.or_else(|| self.start_positions.get(&s.partition).copied());
        }
        let marks = self.progress.marks(
            consumer.topic(),
            self.partition_count,
            &states,
            nothing_pending,
            now_ms(),
            config.skew_ms,
        );
        if !marks.is_empty() && config.rows.try_send(marks).is_err() {
            tracing::debug!("watermark writer busy; skipping this round");
        }
    }
}

#[cfg(test)]
#[path = "source_tests.rs"]
mod tests;

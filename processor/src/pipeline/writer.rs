//! The writer stage: one batch at a time, dead letters first, then the topic's [`Writer`] until the whole
//! batch is written, with backoff between attempts. ClickHouse's TOO_MANY_PARTS raises the `slow` flag (the
//! source pauses its partitions) and waits the longest delay; any success lowers it. A batch is reported
//! written only when all of it is, so commits follow written rows exactly.

use super::batch::{Batch, Entry};
use super::context::Done;
use super::dead_letter::DeadLetters;
use super::Writer;
use crate::metrics::WRITE_FAILURES;
use lrs_common::{Backoff, Shutdown};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The delays between attempts at one batch.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry { initial: Duration::from_millis(100), max: Duration::from_secs(10) }
    }
}

/// Runs until the source drops its sender, or `abort` (then the batch in hand is abandoned, uncommitted).
#[allow(clippy::too_many_arguments)]
pub async fn run<W: Writer>(
    writer: Arc<W>,
    dead_letters: Arc<DeadLetters>,
    mut batches: mpsc::Receiver<Batch<W::Item>>,
    done: std::sync::mpsc::Sender<Done>,
    slow: Arc<AtomicBool>,
    abort: Shutdown,
    pipeline: &'static str,
    retry: Retry,
) {
    while let Some(batch) = batches.recv().await {
        let answer = write_batch(&*writer, &dead_letters, batch, &slow, &abort, pipeline, retry).await;
        let abandoned = answer == Done::Abandoned;
        if done.send(answer).is_err() || abandoned {
            return;
        }
    }
}

async fn write_batch<W: Writer>(
    writer: &W,
    dead_letters: &DeadLetters,
    batch: Batch<W::Item>,
    slow: &AtomicBool,
    abort: &Shutdown,
    pipeline: &'static str,
    retry: Retry,
) -> Done {
    let Batch { entries, next_offsets, newest_ms, .. } = batch;
    let mut items = Vec::with_capacity(entries.len());
    for (_, entry) in entries {
        match entry {
            Entry::Item(item) => items.push(item),
            Entry::Dead { record, kind, reason } => {
                if !dead_letters.send(&record, &reason, kind, abort).await {
                    return Done::Abandoned;
                }
            }
        }
    }
    let mut work = writer.prepare(items);
    let mut backoff = Backoff::new(retry.initial, retry.max);
    loop {
        match writer.write(&mut work).await {
            Ok(()) => {
                slow.store(false, Ordering::Relaxed);
                return Done::Written { next_offsets, newest_ms };
            }
            Err(e) => {
                WRITE_FAILURES
                    .with_label_values(&[pipeline, if e.is_backpressure() { "backpressure" } else { "error" }])
                    .inc();
                if e.is_backpressure() {
                    slow.store(true, Ordering::Relaxed);
                    backoff.slow_down();
                    tracing::warn!(pipeline, error = %e, attempt = backoff.attempts() + 1, "clickhouse asks to slow down; paused, retrying");
                } else {
                    tracing::error!(pipeline, error = %e, attempt = backoff.attempts() + 1, "write failed, retrying");
                }
                if !backoff.wait(abort).await {
                    return Done::Abandoned;
                }
            }
        }
    }
}

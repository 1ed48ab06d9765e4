//! Starting a pipeline (its source thread and writer task) and watching it: the process supervises every
//! pipeline it runs, and is not ready, and stops, as soon as one of them ends.

use super::consumer;
use super::context::{Completions, Hooks};
use super::dead_letter::DeadLetters;
use super::source::{self, SourceConfig};
use super::{Strategy, Writer};
use lrs_common::{Settings, Shutdown};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::oneshot;

pub struct Spec<S, W> {
    pub name: &'static str,
    pub topic: String,
    pub group: String,
    pub strategy: S,
    pub writer: W,
    pub source: SourceConfig,
}

pub struct Running {
    pub name: &'static str,
    running: Arc<AtomicBool>,
    exit: oneshot::Receiver<anyhow::Result<()>>,
    writer: tokio::task::JoinHandle<()>,
}

/// Subscribes and starts the pipeline. `shutdown` stops its source (which drains); `abort` gives up on a
/// write still being retried.
pub fn spawn<S, W>(
    settings: &Settings,
    spec: Spec<S, W>,
    dead_letters: Arc<DeadLetters>,
    shutdown: Shutdown,
    abort: Shutdown,
) -> anyhow::Result<Running>
where
    S: Strategy,
    W: Writer<Item = S::Item>,
{
    let Spec { name, topic, group, strategy, writer, source: config } = spec;
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let hooks = Arc::new(
        Hooks::new(&topic, Completions::new(done_rx), settings.shutdown_grace)
            .counting_assignments(writer.assignments()),
    );
    let consumer = consumer::subscribe(settings, &topic, &group, hooks.clone())?;
    tracing::info!(pipeline = name, topic, group, "consuming");
    let (batches, batch_rx) = tokio::sync::mpsc::channel(1);
    let slow = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(super::writer::run(
        Arc::new(writer),
        dead_letters,
        batch_rx,
        done_tx,
        slow.clone(),
        abort,
        name,
        Default::default(),
    ));
    let running = Arc::new(AtomicBool::new(true));
    let (exit_tx, exit) = oneshot::channel();
    let flag = running.clone();
    std::thread::Builder::new().name(format!("lrs-source-{name}")).spawn(move || {
        let result = source::run(&consumer, &strategy, &hooks, &batches, &slow, &shutdown, &config);
        consumer.unsubscribe();
        flag.store(false, Ordering::Relaxed);
        drop(batches);
        if let Err(e) = &result {
            tracing::error!(pipeline = name, error = %e, "pipeline stopped");
        }
        let _ = exit_tx.send(result);
    })?;
    Ok(Running { name, running, exit, writer })
}

impl Running {
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }

    pub fn flag(&self) -> Arc<AtomicBool> {
        self.running.clone()
    }

    /// Resolves when the source has stopped, with how it ended.
    pub async fn stopped(&mut self) -> anyhow::Result<()> {
        match (&mut self.exit).await {
            Ok(result) => result,
            Err(_) => Err(anyhow::anyhow!("the {} source thread ended without a word", self.name)),
        }
    }

    /// After `stopped`: waits for the writer to finish what it holds.
    pub async fn join_writer(self) {
        if let Err(e) = self.writer.await {
            tracing::error!(pipeline = self.name, error = %e, "writer task failed");
        }
    }
}

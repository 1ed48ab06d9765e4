//! The documents consumer: applies the State / Activity Profile / Agent Profile write commands of the
//! documents topic. Each partition's commands are applied in offset order: the batch's current documents are
//! loaded from ClickHouse in one query (as they were before the batch's first command), the commands are
//! decided in memory one after the other (`xapi::document`), and the new versions, then the outcomes the
//! gateway waits for, are inserted; offsets are committed only after that. Applying a command again after a
//! crash gives the same rows (versions are command offsets, times come from the command), so redelivery
//! changes nothing.

mod apply;
mod consumer;
mod rows;
mod store;

pub use consumer::consume;

use lrs_common::{Settings, Shutdown};

/// The documents consumer running beside the statements consumer. Dropping it (the processor's `run` future
/// aborted) aborts the consumer too, so it never outlives the processor that started it.
pub struct Running(tokio::task::JoinHandle<anyhow::Result<()>>);

pub fn spawn(settings: Settings, shutdown: Shutdown) -> Running {
    Running(tokio::spawn(consume(settings, shutdown)))
}

impl Running {
    /// Waits for the consumer to stop (after the shutdown was triggered) and logs how it ended.
    pub async fn join(mut self) {
        match (&mut self.0).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "documents consumer failed"),
            Err(e) => tracing::error!(error = %e, "documents consumer panicked"),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.abort();
    }
}

//! The documents topic: the State / Activity Profile / Agent Profile write commands. Each partition's
//! commands are applied in offset order: the batch's current documents are loaded from ClickHouse in one
//! query (as they were before the batch's first command), the commands are decided in memory one after the
//! other (`xapi::document`), and the new versions, then the outcomes the gateway waits for, are inserted;
//! offsets are committed only after that. Applying a command again after a crash gives the same rows
//! (versions are command offsets, times come from the command), so redelivery changes nothing.

mod apply;
mod rows;
mod store;

#[cfg(test)]
mod snapshot_tests;

pub use apply::{apply, Applied, Current, Incoming};
pub use store::DocumentStore;

use crate::pipeline::{DecodeError, Record, Strategy, WriteError, Writer};
use futures::future::BoxFuture;
use lrs_common::kafka::{DOCUMENT_COMMAND_HEADER, STORE_HEADER};
use xapi::document::Command;

pub struct DocumentStrategy;

impl Strategy for DocumentStrategy {
    type Item = Incoming;

    fn decode(&self, record: &Record) -> Result<Incoming, DecodeError> {
        decode(record)
    }

    fn weight(item: &Incoming) -> (usize, usize) {
        (1, item.body.len() + 256)
    }
}

/// A command record: its store and command headers, the document bytes as payload.
pub fn decode(record: &Record) -> Result<Incoming, DecodeError> {
    let missing = |h: &str| DecodeError { kind: "missing_header", reason: format!("record has no {h} header") };
    let store = record.header(STORE_HEADER).ok_or_else(|| missing(STORE_HEADER))?;
    let store = std::str::from_utf8(store)
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| DecodeError { kind: "undecodable", reason: "the store header is not a store name".into() })?;
    let command = record.header(DOCUMENT_COMMAND_HEADER).ok_or_else(|| missing(DOCUMENT_COMMAND_HEADER))?;
    let command: Command = serde_json::from_slice(command)
        .map_err(|e| DecodeError { kind: "undecodable", reason: format!("the document command is not valid: {e}") })?;
    Ok(Incoming {
        store: store.to_string(),
        partition: record.partition,
        offset: record.offset,
        command,
        body: record.payload.clone().unwrap_or_default(),
    })
}

pub struct DocumentWriter {
    store: DocumentStore,
}

impl DocumentWriter {
    pub fn new(store: DocumentStore) -> Self {
        DocumentWriter { store }
    }
}

impl Writer for DocumentWriter {
    type Item = Incoming;
    type Work = Vec<Incoming>;

    fn prepare(&self, items: Vec<Incoming>) -> Vec<Incoming> {
        items
    }

    /// Every attempt decides the whole batch again from the documents as they were before it.
    fn write<'a>(&'a self, batch: &'a mut Vec<Incoming>) -> BoxFuture<'a, Result<(), WriteError>> {
        Box::pin(async move {
            if batch.is_empty() {
                return Ok(());
            }
            let mut current = self.store.load(batch).await?;
            let applied = apply(batch, &mut current, lrs_common::now_ms());
            self.store.write(&applied).await?;
            Ok(())
        })
    }
}

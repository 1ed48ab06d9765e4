//! Waiting for the outcome of document write commands. The processor stores one outcome row per command
//! once it applied it; the waiting requests' command ids are looked up together by one batched lookup
//! every 10 ms, so the load on ClickHouse does not grow with the number of concurrent writes.

use futures::future::BoxFuture;
use lrs_common::clickhouse::{Db, DbError};
use lrs_common::lookup::{self, Batcher, LookupError, Mode};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;
use xapi::document::{Refusal, Rejection, APPLIED};

/// What the processor decided for a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Refused(Rejection),
}

pub struct Outcomes {
    batcher: Batcher<Uuid, Outcome>,
    timeout: Duration,
}

impl Outcomes {
    pub fn new(db: Db, timeout: Duration) -> Self {
        let batcher = Batcher::new(
            Arc::new(Source { db }),
            lookup::Config { mode: Mode::Until { every: Duration::from_millis(10) }, workers: 1, max_keys: 2_000 },
        );
        Outcomes { batcher, timeout }
    }

    /// The outcome of command `id`, or None when it is not known within the timeout.
    pub async fn wait(&self, id: Uuid) -> Result<Option<Outcome>, LookupError> {
        Ok(self.batcher.get(vec![id], self.timeout).await?.remove(&id))
    }
}

struct Source {
    db: Db,
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct Row {
    #[serde(with = "clickhouse::serde::uuid")]
    command_id: Uuid,
    code: String,
    message: String,
}

impl lookup::Source<Uuid, Outcome> for Source {
    fn lookup<'a>(&'a self, ids: &'a [Uuid]) -> BoxFuture<'a, Result<HashMap<Uuid, Outcome>, DbError>> {
        Box::pin(async move {
            // The ids are generated UUIDs, so inlining their canonical text is safe.
            let sql = format!(
                "SELECT command_id, code, message FROM document_outcomes WHERE command_id IN ({})",
                lrs_common::clickhouse::uuid_in_list(ids)
            );
            let rows = self.db.query(&sql).fetch_all::<Row>().await?;
            Ok(rows.into_iter().map(|r| (r.command_id, outcome(&r.code, r.message))).collect())
        })
    }
}

fn outcome(code: &str, message: String) -> Outcome {
    if code == APPLIED {
        return Outcome::Applied;
    }
    match Refusal::from_code(code) {
        Some(refusal) => Outcome::Refused(Rejection { refusal, message }),
        // A code this version does not know (a newer processor): refuse rather than claim success.
        None => {
            Outcome::Refused(Rejection::new(Refusal::BadRequest, format!("the write was refused ({code}): {message}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_become_outcomes() {
        assert_eq!(outcome("applied", String::new()), Outcome::Applied);
        assert_eq!(
            outcome("precondition_failed", "m".into()),
            Outcome::Refused(Rejection::new(Refusal::PreconditionFailed, "m"))
        );
        assert!(matches!(outcome("new_code", "m".into()), Outcome::Refused(r) if r.refusal == Refusal::BadRequest));
    }
}

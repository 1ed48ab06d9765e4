//! Waiting for the outcome of document write commands. The processor stores one outcome row per command
//! once it applied it; one background task looks up the outcomes of all waiting requests together, every
//! 10 ms, so the load on ClickHouse does not grow with the number of concurrent writes.

use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

const POLL: Duration = Duration::from_millis(10);
/// Ids looked up in one query at most; more wait for the next round.
const MAX_IDS_PER_QUERY: usize = 2_000;

/// The HTTP status and message the processor decided for a command.
pub type Outcome = (u16, String);

pub struct Outcomes {
    tx: mpsc::UnboundedSender<Waiter>,
    timeout: Duration,
}

struct Waiter {
    id: Uuid,
    started: Instant,
    done: oneshot::Sender<Outcome>,
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct OutcomeRow {
    id: String,
    status: u16,
    message: String,
}

impl Outcomes {
    /// Starts the lookup task (it ends when the `Outcomes` is dropped).
    pub fn new(client: clickhouse::Client, timeout: Duration) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(lookup_loop(client, rx, timeout));
        Outcomes { tx, timeout }
    }

    /// The outcome of command `id`, or None when it is not known within the timeout.
    pub async fn wait(&self, id: Uuid) -> Option<Outcome> {
        let (done, outcome) = oneshot::channel();
        self.tx.send(Waiter { id, started: Instant::now(), done }).ok()?;
        tokio::time::timeout(self.timeout + POLL * 5, outcome).await.ok()?.ok()
    }
}

async fn lookup_loop(client: clickhouse::Client, mut rx: mpsc::UnboundedReceiver<Waiter>, timeout: Duration) {
    let mut waiting: HashMap<Uuid, Waiter> = HashMap::new();
    loop {
        if waiting.is_empty() {
            match rx.recv().await {
                Some(w) => {
                    waiting.insert(w.id, w);
                }
                None => return,
            }
        }
        while let Ok(w) = rx.try_recv() {
            waiting.insert(w.id, w);
        }
        let ids: Vec<Uuid> = waiting.keys().take(MAX_IDS_PER_QUERY).copied().collect();
        match lookup(&client, &ids).await {
            Ok(found) => {
                for (id, outcome) in found {
                    if let Some(w) = waiting.remove(&id) {
                        let _ = w.done.send(outcome);
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "document outcome lookup failed"),
        }
        waiting.retain(|_, w| w.started.elapsed() < timeout && !w.done.is_closed());
        tokio::time::sleep(POLL).await;
    }
}

async fn lookup(client: &clickhouse::Client, ids: &[Uuid]) -> anyhow::Result<Vec<(Uuid, Outcome)>> {
    // The ids are generated UUIDs, so inlining their canonical text is safe.
    let list = lrs_common::clickhouse::uuid_in_list(ids);
    let sql = format!(
        "SELECT toString(command_id) AS id, status, message FROM document_outcomes WHERE command_id IN ({list})"
    );
    let rows: Vec<OutcomeRow> = tokio::time::timeout(Duration::from_secs(5), client.query(&sql).fetch_all())
        .await
        .map_err(|_| anyhow::anyhow!("timed out"))??;
    Ok(rows.into_iter().filter_map(|r| Some((Uuid::parse_str(&r.id).ok()?, (r.status, r.message)))).collect())
}

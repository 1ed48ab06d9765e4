//! The deletions of an erasure. Analytics first: the erased statements' counted versions are taken back
//! through the ledger (`analytics_facts`, sign -1), so every rollup fed from it subtracts exactly what it had
//! added; only then are the ledger rows themselves deleted.

use super::select::{placeholders, CHUNK};
use crate::admin::jobs::Job;
use crate::admin::AdminError;
use crate::clickhouse::{uuid_in_list, Db};
use std::time::{Duration, Instant};
use uuid::Uuid;

pub struct Erasure<'a> {
    pub db: &'a Db,
    pub store: &'a str,
    pub ids: &'a [Uuid],
    pub keys: &'a [String],
    pub attachments: &'a [String],
    pub cutoff_ms: i64,
    /// The job id: written into every mutation's condition, so that the job can tell its mutations apart.
    pub marker: String,
}

const LEDGER_COLUMNS: &str = "store, id, ver, sign, timestamp_ms, stored_ms, verb, activity, activity_type, \
                              actor, registration, platform, parents, groupings, score, has_score, success, \
                              completion, duration_ms, has_duration";

/// A row of `activities`, as the processor writes it.
#[derive(clickhouse::Row, serde::Serialize, serde::Deserialize)]
struct ActivityRow {
    store: String,
    activity_id: String,
    definition_hash: u64,
    stored_ms: i64,
    #[serde(with = "clickhouse::serde::uuid")]
    statement_id: Uuid,
    definition: String,
}

/// A `DELETE WHERE` to run, with the values its `?` take in order.
struct Mutation {
    table: &'static str,
    condition: String,
    binds: Vec<String>,
}

impl Erasure<'_> {
    /// Appends a retraction (sign -1) for each counted, not yet retracted version of the erased statements.
    /// Run again, it finds them retracted and appends nothing.
    pub async fn analytics(&self) -> Result<(), AdminError> {
        for chunk in self.ids.chunks(CHUNK) {
            let list = uuid_in_list(chunk);
            // No alias: on ClickHouse 18.16 an alias named like a column replaces it in WHERE as well.
            let retraction = LEDGER_COLUMNS.replace(" sign,", " toInt8(-1),");
            let sql = format!(
                "INSERT INTO analytics_facts ({LEDGER_COLUMNS}) SELECT {retraction} FROM analytics_facts \
                 WHERE store = ? AND id IN ({list}) AND sign = 1 \
                 AND (id, ver) NOT IN (SELECT id, ver FROM analytics_facts WHERE store = ? AND id IN ({list}) AND sign = -1) \
                 LIMIT 1 BY id, ver"
            );
            self.db.query(&sql).bind(self.store).bind(self.store).execute().await?;
        }
        Ok(())
    }

    /// Deletes the rows, waiting until ClickHouse has applied each group of deletions.
    pub async fn rows(&self, job: &Job) -> Result<(), AdminError> {
        let mut first = Vec::new();
        for chunk in self.ids.chunks(CHUNK) {
            let l = uuid_in_list(chunk);
            first.push(self.by_store("statements", format!("id IN ({l})"), vec![]));
            first.push(self.by_store("statement_index", format!("(id IN ({l}) OR via IN ({l}))"), vec![]));
            first.push(self.by_store("statement_refs", format!("(target IN ({l}) OR referrer IN ({l}))"), vec![]));
            first.push(self.by_store("voids", format!("target IN ({l})"), vec![]));
            first.push(self.by_store("activities", format!("statement_id IN ({l})"), vec![]));
            // Counted events go before the retractions that cancel them, so no read sees an event uncancelled.
            first.push(self.by_store("analytics_events", format!("id IN ({l})"), vec![]));
        }
        let keys = placeholders(self.keys.len());
        let cutoff = self.cutoff_ms;
        first.push(self.by_store("agents", format!("key IN ({keys}) AND stored_ms <= {cutoff}"), self.keys.to_vec()));
        first.push(self.by_store(
            "documents",
            format!("agent_key IN ({keys}) AND updated_ms <= {cutoff}"),
            self.keys.to_vec(),
        ));
        if !self.attachments.is_empty() {
            first.push(self.by_store(
                "attachments",
                format!("sha2 IN ({}) AND stored_ms <= {cutoff}", placeholders(self.attachments.len())),
                self.attachments.to_vec(),
            ));
        }
        first.push(self.by_store(
            "analytics_names",
            format!("kind = 2 AND hash IN ({})", vec!["cityHash64(?)"; self.keys.len()].join(", ")),
            self.keys.to_vec(),
        ));
        let redefine = self.activities_defined_by_erased().await?;
        self.apply(job, first).await?;
        self.redefine(&redefine).await?;

        let mut ledger = Vec::new();
        for chunk in self.ids.chunks(CHUNK) {
            let l = uuid_in_list(chunk);
            ledger.push(self.by_store("analytics_retractions", format!("id IN ({l})"), vec![]));
            ledger.push(self.by_store("analytics_facts", format!("id IN ({l})"), vec![]));
        }
        self.apply(job, ledger).await?;
        self.people(job).await
    }

    /// The activities whose definition rows came from erased statements.
    async fn activities_defined_by_erased(&self) -> Result<Vec<String>, AdminError> {
        let mut out = Vec::new();
        for chunk in self.ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT DISTINCT activity_id FROM activities WHERE store = ? AND statement_id IN ({})",
                uuid_in_list(chunk)
            );
            out.extend(self.db.query(&sql).bind(self.store).fetch_all::<String>().await?);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Gives each activity back the definitions that remaining statements carry: a definition row is kept per
    /// distinct definition from the latest statement carrying it, which may have been an erased one while
    /// earlier statements carry the same. The latest remaining statements naming the activity are read again.
    async fn redefine(&self, activities: &[String]) -> Result<(), AdminError> {
        for activity in activities {
            let latest: Vec<String> = self
                .db
                .query(
                    "SELECT raw FROM statements WHERE store = ? AND id IN (SELECT id FROM statement_index \
                     WHERE store = ? AND dim = 'activity' AND key = ? AND via = toUUID('00000000-0000-0000-0000-000000000000') \
                     ORDER BY stored_ms DESC LIMIT 100)",
                )
                .bind(self.store)
                .bind(self.store)
                .bind(activity.as_str())
                .fetch_all()
                .await?;
            let mut rows = Vec::new();
            for raw in latest {
                let Ok(statement) = serde_json::from_str::<serde_json::Value>(&raw) else { continue };
                let (Some(id), Some(stored_ms)) = (
                    statement.get("id").and_then(|v| v.as_str()).and_then(|s| Uuid::parse_str(s).ok()),
                    statement.get("stored").and_then(|v| v.as_str()).and_then(xapi::time::parse).map(|t| t.epoch_ms),
                ) else {
                    continue;
                };
                for (activity_id, definition) in xapi::index::facts(&statement).activity_definitions {
                    if &activity_id != activity {
                        continue;
                    }
                    let definition = if definition.is_null() { String::new() } else { definition.to_string() };
                    rows.push(ActivityRow {
                        store: self.store.to_string(),
                        activity_id,
                        definition_hash: xapi::compare::fnv1a(definition.as_bytes()),
                        stored_ms,
                        statement_id: id,
                        definition,
                    });
                }
            }
            if !rows.is_empty() {
                self.db.insert("activities", &rows).await?;
            }
        }
        Ok(())
    }

    fn by_store(&self, table: &'static str, condition: String, mut binds: Vec<String>) -> Mutation {
        binds.insert(0, self.store.to_string());
        let condition = format!("store = ? AND {condition} AND '{}' != ''", self.marker);
        Mutation { table, condition, binds }
    }

    async fn apply(&self, job: &Job, mutations: Vec<Mutation>) -> Result<(), AdminError> {
        for m in mutations {
            let sql = format!("ALTER TABLE {} DELETE WHERE {}", m.table, m.condition);
            let mut q = self.db.query(&sql);
            for b in &m.binds {
                q = q.bind(b.as_str());
            }
            q.execute().await?;
        }
        self.wait_applied(job).await
    }

    async fn wait_applied(&self, job: &Job) -> Result<(), AdminError> {
        let mut heard = Instant::now();
        loop {
            let pending: u64 = self
                .db
                .query(
                    "SELECT count() FROM system.mutations WHERE database = currentDatabase() AND is_done = 0 \
                     AND position(command, ?) > 0",
                )
                .bind(self.marker.as_str())
                .fetch_one()
                .await?;
            if pending == 0 {
                return Ok(());
            }
            if heard.elapsed() > Duration::from_secs(10) {
                job.update(|_| {}).await;
                heard = Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The per-learner tables hold the person's identifier next to their counts: the retractions brought those
    /// counts to zero, and a merge drops rows whose sums are all zero. Merging the partitions the erased
    /// statements fell in removes them now (merging is always correct, so writes racing it lose nothing),
    /// and the names table is given back the names of learners who still have statements.
    async fn people(&self, job: &Job) -> Result<(), AdminError> {
        for table in ["analytics_people_spans", "analytics_people_hourly"] {
            let partitions: Vec<String> = self
                .db
                .query(
                    "SELECT DISTINCT partition_id FROM system.parts WHERE database = currentDatabase() AND table = ? \
                     AND active",
                )
                .bind(table)
                .fetch_all()
                .await?;
            for p in partitions {
                job.update(|_| {}).await;
                let sql = format!("OPTIMIZE TABLE {table} PARTITION ID '{}' FINAL", p.replace('\'', ""));
                self.db.with_timeout(Duration::from_secs(3600)).query(&sql).execute().await?;
            }
        }
        let sql = format!(
            "INSERT INTO analytics_names SELECT store, toUInt8(2), cityHash64(actor), any(actor) FROM analytics_facts \
             WHERE store = ? AND actor IN ({}) AND sign != 0 GROUP BY store, cityHash64(actor)",
            placeholders(self.keys.len())
        );
        let mut q = self.db.query(&sql).bind(self.store);
        for k in self.keys {
            q = q.bind(k.as_str());
        }
        q.execute().await?;
        Ok(())
    }
}

//! Admin jobs: work too long for one request (the erasure of a person). The replica that starts a job runs
//! it and records each step in `admin_jobs`; `GET /admin/jobs/{id}` reads the record on any replica.

use super::{time, AdminError, AdminState};
use crate::clickhouse::Db;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Mutex;
use uuid::Uuid;

/// A running job not heard of for this long died with its process: it is shown as interrupted, and starting
/// it again (the same request) finishes it, since every step is idempotent.
const SILENT_MS: i64 = 120_000;

#[derive(Debug, Clone, Default, clickhouse::Row, serde::Serialize, serde::Deserialize)]
pub struct JobRow {
    #[serde(with = "clickhouse::serde::uuid")]
    pub id: Uuid,
    pub kind: String,
    pub store: String,
    pub subject: String,
    pub state: String,
    pub step: String,
    pub statements: u64,
    pub documents: u64,
    pub attachments: u64,
    pub error: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub version: u64,
}

const COLUMNS: &str = "id, kind, store, subject, state, step, statements, documents, attachments, error, \
                       created_ms, updated_ms, version";

impl JobRow {
    pub fn shown(&self, now_ms: i64) -> Value {
        let state = if self.state == "running" && now_ms - self.updated_ms > SILENT_MS {
            "interrupted"
        } else {
            self.state.as_str()
        };
        let mut out = json!({
            "id": self.id, "kind": self.kind, "store": self.store, "state": state, "step": self.step,
            "statements": self.statements, "documents": self.documents, "attachments": self.attachments,
            "created": time(self.created_ms), "updated": time(self.updated_ms),
        });
        if !self.error.is_empty() {
            out["error"] = json!(self.error);
        }
        out
    }
}

/// A job being run here: its record, saved at every change.
pub struct Job {
    db: Db,
    row: Mutex<JobRow>,
}

impl Job {
    pub async fn start(db: Db, kind: &str, store: &str, subject: &str) -> Result<Job, AdminError> {
        let now = crate::now_ms();
        let row = JobRow {
            id: Uuid::new_v4(),
            kind: kind.into(),
            store: store.into(),
            subject: subject.into(),
            state: "running".into(),
            step: "starting".into(),
            created_ms: now,
            updated_ms: now,
            version: now as u64,
            ..JobRow::default()
        };
        db.insert("admin_jobs", std::slice::from_ref(&row)).await?;
        Ok(Job { db, row: Mutex::new(row) })
    }

    pub fn row(&self) -> JobRow {
        self.row.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Applies `change` to the record and saves it (a failed save is logged: the job goes on).
    pub async fn update(&self, change: impl FnOnce(&mut JobRow)) {
        let row = {
            let mut row = self.row.lock().unwrap_or_else(|e| e.into_inner());
            change(&mut row);
            row.updated_ms = crate::now_ms();
            row.version = (row.updated_ms as u64).max(row.version + 1);
            row.clone()
        };
        if let Err(e) = self.db.insert("admin_jobs", std::slice::from_ref(&row)).await {
            tracing::warn!(job = %row.id, error = %e, "job progress not saved");
        }
    }

    pub async fn step(&self, step: &str) {
        tracing::info!(job = %self.row().id, step, "job step");
        self.update(|r| r.step = step.into()).await;
    }
}

pub async fn get(State(s): State<AdminState>, Path(id): Path<String>) -> Result<Json<Value>, AdminError> {
    let id = Uuid::parse_str(&id).map_err(|_| AdminError::NotFound(format!("no job {id:?}")))?;
    let row: Option<JobRow> =
        s.db.query(&format!("SELECT {COLUMNS} FROM admin_jobs FINAL WHERE id = ?"))
            .bind(id.to_string().as_str())
            .fetch_optional()
            .await?;
    let row = row.ok_or_else(|| AdminError::NotFound(format!("no job {id}")))?;
    Ok(Json(row.shown(crate::now_ms())))
}

#[derive(serde::Deserialize)]
pub struct JobFilter {
    store: Option<String>,
}

pub async fn list(State(s): State<AdminState>, Query(f): Query<JobFilter>) -> Result<Json<Value>, AdminError> {
    let rows: Vec<JobRow> =
        s.db.query(&format!("SELECT {COLUMNS} FROM admin_jobs FINAL ORDER BY created_ms DESC LIMIT 1000"))
            .fetch_all()
            .await?;
    let now = crate::now_ms();
    let jobs: Vec<Value> =
        rows.iter().filter(|r| f.store.as_deref().is_none_or(|want| r.store == want)).map(|r| r.shown(now)).collect();
    Ok(Json(json!({"jobs": jobs})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_running_job_shows_interrupted() {
        let row = JobRow { state: "running".into(), updated_ms: 1_000, ..JobRow::default() };
        assert_eq!(row.shown(1_000 + SILENT_MS + 1)["state"], "interrupted");
        assert_eq!(row.shown(2_000)["state"], "running");
        let done = JobRow { state: "done".into(), ..row };
        assert_eq!(done.shown(i64::MAX)["state"], "done");
    }
}

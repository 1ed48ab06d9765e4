//! `DELETE /admin/agents?store=&agent=`: the erasure of a person (GDPR art. 17), as a job.
//!
//! The job erases what was stored before it started (its cutoff): it first waits until the processors have
//! written everything Kafka acknowledged by then, so a statement accepted before the request is erased however
//! late it is written, and one accepted after it is stored normally. Then it finds every statement naming the
//! person in any role (the `agent` index dimension holds every related agent) and, transitively, the statements
//! referring to those by StatementRef; takes their analytics contributions back; and deletes them, their index
//! rows, the person's documents and agent rows, and the attachments only they used. Deletions are ClickHouse
//! mutations (rare, never on a hot path); the job is done when ClickHouse has applied all of them. Every step
//! is idempotent: a job that failed or was interrupted is finished by sending the same request again.

mod remove;
mod select;

use super::jobs::Job;
use super::{stores, AdminError, AdminState};
use crate::kafka::barrier::{Barrier, Target, Wait};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use sha2::Digest;
use std::time::Duration;

/// How long the job waits for the processors to write what was acknowledged before it started.
const WRITES_WAIT: Duration = Duration::from_secs(600);

#[derive(serde::Deserialize)]
pub struct ErasureParams {
    store: Option<String>,
    agent: Option<String>,
}

pub async fn start(State(s): State<AdminState>, Query(p): Query<ErasureParams>) -> Result<Response, AdminError> {
    let store = p.store.ok_or_else(|| AdminError::BadRequest("the store parameter is required".into()))?;
    let raw = p.agent.ok_or_else(|| AdminError::BadRequest("the agent parameter is required".into()))?;
    let keys = person_keys(&raw).map_err(AdminError::BadRequest)?;
    if !stores::exists(&s, &store).await? {
        return Err(AdminError::NotFound(format!("no store {store:?}")));
    }
    let subject = hex::encode(sha2::Sha256::digest(keys[0].as_bytes()));
    let job = Job::start(s.db.clone(), "erase_agent", &store, &subject).await?;
    let row = job.row();
    let cutoff_ms = row.created_ms;
    tokio::spawn(async move {
        let outcome = run(&s, &job, &store, &keys, cutoff_ms).await;
        match outcome {
            Ok(()) => job.update(|r| (r.state, r.step) = ("done".into(), "done".into())).await,
            Err(e) => {
                tracing::warn!(job = %job.row().id, error = %e, "erasure failed");
                job.update(|r| (r.state, r.error) = ("failed".into(), e.to_string())).await;
            }
        }
    });
    let location = format!("/admin/jobs/{}", row.id);
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(row.shown(crate::now_ms()))).into_response())
}

/// The index keys the person is known by: the agent's IFI key, and for an `mbox` also the `mbox_sha1sum` key
/// of the same address (statements may name the person either way).
fn person_keys(raw: &str) -> Result<Vec<String>, String> {
    let agent: Value = serde_json::from_str(raw).map_err(|_| "the agent parameter is not valid JSON".to_string())?;
    xapi::validate::agent_or_group(&agent, xapi::XapiVersion::V2_0_0)
        .map_err(|e| format!("the agent parameter is not a valid Agent: {e}"))?;
    if agent.get("objectType").and_then(Value::as_str) == Some("Group") {
        return Err("the agent parameter must be an Agent, not a Group".into());
    }
    let key = xapi::index::agent_key(&agent).ok_or("the agent parameter must have exactly one identifier")?;
    let mut keys = vec![key];
    if let Some(mbox) = agent.get("mbox").and_then(Value::as_str) {
        keys.push(format!("sha1:{}", hex::encode(sha1::Sha1::digest(mbox.as_bytes()))));
    }
    Ok(keys)
}

async fn run(s: &AdminState, job: &Job, store: &str, keys: &[String], cutoff_ms: i64) -> Result<(), AdminError> {
    job.step("waiting for the processors to write what was accepted before the erasure").await;
    // Writes stamped before the cutoff but still on their way to Kafka then are acknowledged within the skew.
    tokio::time::sleep(Duration::from_millis(s.settings.consistency_skew_ms.max(0) as u64)).await;
    for (topic, group) in written_topics(&s.settings) {
        wait_written(&s.settings, &topic, &group).await?;
    }

    job.step("finding the statements").await;
    let ids = select::statements(&s.db, store, keys, cutoff_ms).await?;
    job.update(|r| r.statements = ids.len() as u64).await;
    let attachments = select::unshared_attachments(&s.db, store, &ids).await?;
    let documents = select::documents(&s.db, store, keys, cutoff_ms).await?;
    job.update(|r| (r.attachments, r.documents) = (attachments.len() as u64, documents)).await;

    let marker = job.row().id.to_string();
    let erase = remove::Erasure { db: &s.db, store, ids: &ids, keys, attachments: &attachments, cutoff_ms, marker };
    job.step("taking back analytics contributions").await;
    erase.analytics().await?;
    job.step("deleting").await;
    erase.rows(job).await?;
    Ok(())
}

/// The topics whose writes the job waits for, each with the consumer group that writes it.
fn written_topics(settings: &crate::Settings) -> Vec<(String, String)> {
    let group = &settings.consumer_group;
    let mut out = vec![
        (settings.statements_topic.clone(), group.clone()),
        (settings.documents_topic.clone(), format!("{group}-documents")),
    ];
    if settings.analytics {
        out.push((settings.facts_topic.clone(), format!("{group}-facts")));
    }
    out
}

async fn wait_written(settings: &crate::Settings, topic: &str, group: &str) -> Result<(), AdminError> {
    let barrier = Barrier::new(settings, topic, group).map_err(|e| AdminError::Unavailable(format!("kafka: {e}")))?;
    match barrier.wait(Target::CurrentEnd, WRITES_WAIT).await {
        Wait::Passed => Ok(()),
        Wait::TimedOut => Err(AdminError::Unavailable(format!(
            "the processors did not write {topic} within {} s; send the request again",
            WRITES_WAIT.as_secs()
        ))),
        Wait::Unavailable => Err(AdminError::Unavailable(format!("kafka could not tell how far {topic} is written"))),
    }
}

#[cfg(test)]
mod tests {
    use super::person_keys;

    #[test]
    fn an_mbox_also_erases_its_sha1() {
        let keys = person_keys(r#"{"mbox":"mailto:a@example.com"}"#).unwrap();
        assert_eq!(keys, ["mbox:mailto:a@example.com", "sha1:21ba816e27630363cf0579c5aaec9286f3decb80"]);
    }

    #[test]
    fn refuses_what_is_not_one_agent() {
        for bad in ["", "{", r#"{"name":"x"}"#, r#"{"objectType":"Group","member":[{"mbox":"mailto:a@b.c"}]}"#] {
            assert!(person_keys(bad).is_err(), "{bad}");
        }
        assert_eq!(person_keys(r#"{"account":{"homePage":"http://h","name":"n"}}"#).unwrap().len(), 1);
    }
}

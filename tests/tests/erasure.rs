//! The erasure of a person end to end: every statement naming them in any role and every statement referring
//! to those, their documents, an attachment only they used, their agent rows and analytics contributions are
//! gone from every endpoint and from ClickHouse; the others' data stays; statements arriving while the job
//! runs are either erased (accepted before it started) or stored; statements arriving after it are stored.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use lrs_e2e::{ProcessorMode, Stack};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Digest;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

const PERSON: &str = "mailto:erase.me@example.com";
const VERB: &str = "http://adlnet.gov/expapi/verbs/experienced";

fn agent(mbox: &str) -> Value {
    json!({"objectType": "Agent", "name": format!("name of {mbox}"), "mbox": mbox})
}

fn statement(actor: Value, object: Value) -> Value {
    json!({"id": Uuid::new_v4().to_string(), "actor": actor, "verb": {"id": VERB}, "object": object,
           "context": {"contextActivities": {"parent": [{"id": "http://example.com/course"}]}}})
}

fn activity(n: u32) -> Value {
    json!({"objectType": "Activity", "id": format!("http://example.com/activity/{n}"),
           "definition": {"type": "http://adlnet.gov/expapi/activities/lesson"}})
}

fn sha1_hex(s: &str) -> String {
    hex::encode(sha1::Sha1::digest(s.as_bytes()))
}

async fn status_of(stack: &Stack, path: &str) -> StatusCode {
    stack.request(Method::GET, path).send().await.unwrap().status()
}

async fn json_of(stack: &Stack, path: &str) -> Value {
    let res = stack.request(Method::GET, path).send().await.unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap()
}

fn admin(stack: &Stack, method: Method, path: &str) -> reqwest::RequestBuilder {
    let s = &stack.settings;
    stack.http.request(method, format!("{}{path}", stack.base)).basic_auth(&s.admin_key, Some(&s.admin_secret))
}

fn q(v: &str) -> String {
    lrs_common::http::form::escape(v)
}

/// Posts an attachment-carrying statement as multipart/mixed.
async fn post_with_attachment(stack: &Stack, mut s: Value, content: &[u8]) {
    let (content_type, body) = lrs_e2e::multipart::with_attachment(&mut s, content);
    let res = stack.request(Method::POST, "/xapi/statements").header("Content-Type", content_type).body(body);
    assert_eq!(res.send().await.unwrap().status(), 200);
}

async fn put_document(stack: &Stack, path: &str, body: &str) {
    let res = stack
        .request(Method::PUT, path)
        .header("Content-Type", "text/plain")
        .header("If-None-Match", "*")
        .body(body.to_string())
        .send()
        .await;
    assert_eq!(res.unwrap().status(), 204, "{path}");
}

/// Everything ClickHouse holds in the LRS's tables, as text.
async fn all_rows(stack: &Stack) -> String {
    let tables: Vec<String> = stack
        .clickhouse
        .query("SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'")
        .fetch_all()
        .await
        .unwrap();
    let mut out = String::new();
    for t in tables {
        out.push_str(&stack.clickhouse.query(&format!("SELECT * FROM {t}")).fetch_text("TabSeparated").await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasing_a_person_end_to_end() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    let (person, other, third) = (agent(PERSON), agent("mailto:other@example.com"), agent("mailto:third@example.com"));
    let hashed = json!({"objectType": "Agent", "mbox_sha1sum": sha1_hex(PERSON)});

    // The person in every role, and statements of others.
    let as_actor = statement(person.clone(), activity(1));
    let mut as_instructor = statement(other.clone(), activity(2));
    as_instructor["context"]["instructor"] = person.clone();
    let as_object = statement(other.clone(), person.clone());
    let as_member = statement(
        json!({"objectType": "Group", "name": "team", "member": [person.clone(), third.clone()]}),
        activity(3),
    );
    let mut in_team = statement(third.clone(), activity(4));
    in_team["context"]["team"] = json!({"objectType": "Group", "member": [person.clone()]});
    let in_sub = statement(
        other.clone(),
        json!({"objectType": "SubStatement", "actor": person.clone(), "verb": {"id": VERB}, "object": activity(5)}),
    );
    let by_hash = statement(hashed.clone(), activity(6));
    let referring = statement(third.clone(), json!({"objectType": "StatementRef", "id": as_actor["id"]}));
    let refers_to_referring = statement(other.clone(), json!({"objectType": "StatementRef", "id": referring["id"]}));
    let kept_other = statement(other.clone(), activity(1));
    let kept_third = statement(third.clone(), activity(7));
    let erased = [&as_actor, &as_instructor, &as_object, &as_member, &in_team, &in_sub, &by_hash, &referring];
    let mut body: Vec<Value> = erased.iter().map(|s| (*s).clone()).collect();
    body.remove(0);
    body.extend([refers_to_referring.clone(), kept_other.clone(), kept_third.clone()]);
    post_with_attachment(&stack, as_actor.clone(), b"the person's own certificate").await;
    assert_eq!(stack.post_statements(&Value::Array(body)).await.status(), 200);
    post_with_attachment(&stack, statement(other.clone(), activity(8)), b"a shared certificate").await;
    let shared = statement(person.clone(), activity(8));
    post_with_attachment(&stack, shared.clone(), b"a shared certificate").await;

    // Documents of the person and of someone else.
    let state = |who: &Value| {
        format!(
            "/xapi/activities/state?activityId={}&agent={}&stateId=s",
            q("http://example.com/activity/1"),
            q(&who.to_string())
        )
    };
    let profile = |who: &Value| format!("/xapi/agents/profile?agent={}&profileId=p", q(&who.to_string()));
    put_document(&stack, &state(&person), "the person's state").await;
    put_document(&stack, &profile(&person), "the person's profile").await;
    put_document(&stack, &state(&other), "another's state").await;

    let total = erased.len() as u64 + 5;
    stack.wait_analytics(total, Duration::from_secs(60)).await;
    let by_actor = json_of(&stack, "/analytics/aggregate?by=actor&measures=statements").await;
    assert!(by_actor.to_string().contains(PERSON), "{by_actor}");

    // Writes of the person racing the erasure.
    let racing = Arc::new(Mutex::new(Vec::<(String, Instant)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (racing, stop) = (racing.clone(), stop.clone());
        let (http, base, person) = (stack.http.clone(), stack.base.clone(), person.clone());
        tokio::spawn(async move {
            let mut n = 100;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let s = statement(person.clone(), activity(n));
                let res = http
                    .post(format!("{base}/xapi/statements"))
                    .basic_auth(lrs_e2e::KEY, Some(lrs_e2e::SECRET))
                    .header("X-Experience-API-Version", "1.0.3")
                    .json(&s)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
                racing.lock().unwrap().push((s["id"].as_str().unwrap().to_string(), Instant::now()));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Bad requests first.
    let store = stack.settings.dev_store.clone();
    let erase = |store: &str, agent: &str| format!("/admin/agents?store={}&agent={}", q(store), q(agent));
    assert_eq!(stack.request(Method::DELETE, &erase(&store, PERSON)).send().await.unwrap().status(), 403);
    for (s, a, want) in [
        (store.as_str(), "not json", 400),
        (store.as_str(), r#"{"name":"no identifier"}"#, 400),
        ("no-such-store", r#"{"mbox":"mailto:x@example.com"}"#, 404),
    ] {
        assert_eq!(admin(&stack, Method::DELETE, &erase(s, a)).send().await.unwrap().status(), want, "{a}");
    }

    let requested = Instant::now();
    let res = admin(&stack, Method::DELETE, &erase(&store, &json!({"mbox": PERSON}).to_string())).send().await.unwrap();
    assert_eq!(res.status(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let job: Value = res.json().await.unwrap();
    assert_eq!(job["state"], "running");
    let deadline = Instant::now() + Duration::from_secs(120);
    let job = loop {
        let job: Value = admin(&stack, Method::GET, &location).send().await.unwrap().json().await.unwrap();
        if job["state"] != "running" {
            break job;
        }
        assert!(Instant::now() < deadline, "job still running: {job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let finished = Instant::now();
    assert_eq!(job["state"], "done", "{job}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    assert!(!job.to_string().contains("erase.me"), "the job record names the person: {job}");
    assert_eq!(job["documents"], 2, "{job}");
    assert_eq!(job["attachments"], 1, "{job}");
    let jobs: Value = admin(&stack, Method::GET, "/admin/jobs").send().await.unwrap().json().await.unwrap();
    assert_eq!(jobs["jobs"][0]["id"], job["id"]);
    assert_eq!(
        admin(&stack, Method::GET, &format!("/admin/jobs/{}", Uuid::new_v4())).send().await.unwrap().status(),
        404
    );

    // Racing writes: those acknowledged before the request are erased, those after the job are stored.
    let racing = racing.lock().unwrap().clone();
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for (id, at) in &racing {
        if *at < requested {
            before.push(id.clone());
        } else if *at > finished {
            after.push(id.clone());
        }
    }
    assert!(!before.is_empty() && !after.is_empty(), "{} racing writes", racing.len());
    for id in &before {
        assert_eq!(stack.get_statement(id).await.status(), 404, "acknowledged before the erasure: {id}");
    }
    for id in &after {
        assert_eq!(stack.get_statement(id).await.status(), 200, "acknowledged after the erasure: {id}");
    }
    // Those acknowledged while the request travelled to the job's start may fall either side: the ones that
    // remain are stored whole (readable and counted).
    let mut survivors: Vec<&String> = Vec::new();
    for (id, at) in &racing {
        if *at >= requested && stack.get_statement(id).await.status() == 200 {
            survivors.push(id);
        }
    }

    // The erased statements, by id and through every filter.
    for s in erased.iter().copied().chain([&refers_to_referring, &shared]) {
        let id = s["id"].as_str().unwrap();
        assert_eq!(stack.get_statement(id).await.status(), 404, "{s}");
    }
    for s in [&kept_other, &kept_third] {
        assert_eq!(stack.get_statement(s["id"].as_str().unwrap()).await.status(), 200);
    }
    for who in [&person, &hashed] {
        let listed =
            json_of(&stack, &format!("/xapi/statements?agent={}&related_agents=true&limit=1000", q(&who.to_string())))
                .await;
        let ids: Vec<&str> =
            listed["statements"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
        assert!(ids.iter().all(|id| survivors.iter().any(|s| s == id)), "only racing survivors may remain: {ids:?}");
    }
    let everything = json_of(&stack, "/xapi/statements?limit=1000").await.to_string();
    assert!(!everything.contains(&as_actor["id"].as_str().unwrap().to_string()));

    // Documents, the agent, attachments.
    assert_eq!(status_of(&stack, &state(&person)).await, 404);
    assert_eq!(status_of(&stack, &profile(&person)).await, 404);
    assert_eq!(status_of(&stack, &state(&other)).await, 200);
    let shared_sha = hex::encode(sha2::Sha256::digest(b"a shared certificate"));
    let own_sha = hex::encode(sha2::Sha256::digest(b"the person's own certificate"));
    let shas: Vec<String> = stack.clickhouse.query("SELECT sha2 FROM attachments FINAL").fetch_all().await.unwrap();
    assert_eq!(shas, [shared_sha]);
    assert!(!shas.contains(&own_sha));

    // Analytics: only the others' three statements and the racing survivors count.
    stack.wait_analytics(3 + survivors.len() as u64, Duration::from_secs(60)).await;
    let rows = json_of(&stack, "/analytics/aggregate?by=actor&measures=statements").await;
    let person_rows: Vec<&Value> =
        rows["rows"].as_array().unwrap().iter().filter(|r| r[0].to_string().contains("erase.me")).collect();
    let person_count = person_rows.first().map_or(0, |r| r[1].as_u64().unwrap());
    assert_eq!(person_count, survivors.len() as u64, "{rows}");

    let activity_one =
        json_of(&stack, &format!("/xapi/activities?activityId={}", q("http://example.com/activity/1"))).await;
    assert_eq!(activity_one["definition"]["type"], "http://adlnet.gov/expapi/activities/lesson", "{activity_one}");

    // A statement about the person sent afterwards is stored, readable and counted.
    let later = statement(person.clone(), activity(99));
    assert_eq!(stack.post_statements(&later).await.status(), 200);
    assert_eq!(stack.get_statement(later["id"].as_str().unwrap()).await.status(), 200);
    stack.wait_analytics(4 + survivors.len() as u64, Duration::from_secs(60)).await;

    // Erased again with nothing racing it: nothing of the person is left anywhere in ClickHouse.
    let res = admin(&stack, Method::DELETE, &erase(&store, &json!({"mbox": PERSON}).to_string())).send().await.unwrap();
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(120);
    while admin(&stack, Method::GET, &location).send().await.unwrap().json::<Value>().await.unwrap()["state"]
        == "running"
    {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stack.wait_analytics(3, Duration::from_secs(60)).await;
    let rows = all_rows(&stack).await;
    for trace in ["erase.me", &sha1_hex(PERSON)] {
        let at = rows.find(trace).map(|i| rows.get(i.saturating_sub(300)..(i + 300).min(rows.len())));
        assert!(at.is_none(), "{trace} left in ClickHouse: {at:?}");
    }
    stack.shutdown().await;
}

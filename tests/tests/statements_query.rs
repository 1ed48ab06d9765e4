//! `GET /xapi/statements` on the real pipeline (gateway -> Kafka -> processor -> ClickHouse -> query): filters,
//! the StatementRef rule, voiding, paging with `more` while statements keep arriving, formats, HEAD and errors.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use lrs_e2e::{ProcessorMode, Stack};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;
use uuid::Uuid;

const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

fn statement(actor: &str, verb: &str, activity: &str) -> Value {
    json!({
        "id": Uuid::new_v4().to_string(),
        "actor": {"objectType": "Agent", "mbox": format!("mailto:{actor}@example.com")},
        "verb": {"id": format!("http://example.com/verbs/{verb}"), "display": {"en-US": verb, "fr-FR": format!("fr-{verb}")}},
        "object": {"objectType": "Activity", "id": format!("http://example.com/act/{activity}"),
            "definition": {"name": {"en-US": "Course", "fr-FR": "Cours"}}}
    })
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|c| {
            if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
                (c as char).to_string()
            } else {
                format!("%{c:02X}")
            }
        })
        .collect()
}

fn agent(actor: &str) -> String {
    enc(&json!({"mbox": format!("mailto:{actor}@example.com")}).to_string())
}

async fn post(stack: &Stack, statements: &[Value]) -> Vec<String> {
    let res = stack.post_statements(&json!(statements)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
    let ids: Vec<String> = res.json().await.expect("ids");
    stack.wait_visible(&ids, Duration::from_secs(30)).await;
    ids
}

async fn get(stack: &Stack, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let res = stack.request(Method::GET, path).send().await.expect("GET");
    (res.status(), res.headers().clone(), res.text().await.expect("body"))
}

async fn ids(stack: &Stack, query: &str) -> Vec<String> {
    let (status, headers, body) = get(stack, &format!("/xapi/statements?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    assert!(headers.contains_key("x-experience-api-consistent-through"));
    let v: Value = serde_json::from_str(&body).expect("StatementResult");
    assert_eq!(v["more"], "", "{query}");
    v["statements"].as_array().expect("array").iter().map(|s| s["id"].as_str().expect("id").to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_statement_refs_and_voiding() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    let mut a = statement("alice", "completed", "course1");
    a["context"] = json!({
        "registration": "0d4b5c1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e",
        "instructor": {"mbox": "mailto:teacher@example.com"},
        "contextActivities": {"parent": [{"id": "http://example.com/program"}]}
    });
    let b = statement("bob", "completed", "course2");
    let c = statement("alice", "attempted", "course2");
    let posted = post(&stack, &[a.clone(), b.clone(), c.clone()]).await;
    let [a_id, b_id, c_id] = [&posted[0], &posted[1], &posted[2]];
    // Stored order: one request stores its statements with one `stored`; a later request is newer.
    let mut d = statement("carol", "confirmed", "none");
    d["object"] = json!({"objectType": "StatementRef", "id": a_id});
    let d_id = &post(&stack, &[d]).await[0];

    let completed = enc("http://example.com/verbs/completed");
    let set = |v: Vec<String>| v.into_iter().collect::<HashSet<_>>();
    let want = |v: &[&String]| v.iter().map(|s| s.to_string()).collect::<HashSet<_>>();
    // verb: a, b, and d through its target a.
    assert_eq!(set(ids(&stack, &format!("verb={completed}")).await), want(&[a_id, b_id, d_id]));
    // agent: actor or object only; related_agents adds the instructor.
    assert_eq!(set(ids(&stack, &format!("agent={}", agent("alice"))).await), want(&[a_id, c_id, d_id]));
    assert!(ids(&stack, &format!("agent={}", agent("teacher"))).await.is_empty());
    assert_eq!(set(ids(&stack, &format!("agent={}&related_agents=true", agent("teacher"))).await), want(&[a_id, d_id]));
    assert_eq!(ids(&stack, &format!("agent={}", agent("carol"))).await, vec![d_id.to_string()]);
    // activity: object only; related_activities adds context activities.
    let course2 = enc("http://example.com/act/course2");
    assert_eq!(set(ids(&stack, &format!("activity={course2}")).await), want(&[b_id, c_id]));
    let program = enc("http://example.com/program");
    assert!(ids(&stack, &format!("activity={program}")).await.is_empty());
    assert_eq!(set(ids(&stack, &format!("activity={program}&related_activities=true")).await), want(&[a_id, d_id]));
    assert_eq!(set(ids(&stack, "registration=0d4b5c1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e").await), want(&[a_id, d_id]));
    // Combined filters.
    assert_eq!(ids(&stack, &format!("verb={completed}&agent={}", agent("bob"))).await, vec![b_id.to_string()]);

    // since / until / ascending on `stored`.
    let first: Value =
        serde_json::from_str(&get(&stack, &format!("/xapi/statements?statementId={a_id}")).await.2).expect("json");
    let stored_a = first["stored"].as_str().expect("stored").to_string();
    assert!(!ids(&stack, &format!("since={}", enc(&stored_a))).await.contains(a_id), "since is exclusive");
    assert!(ids(&stack, &format!("until={}", enc(&stored_a))).await.contains(a_id), "until is inclusive");
    let asc = ids(&stack, "ascending=true").await;
    let desc = ids(&stack, "").await;
    assert_eq!(asc.iter().rev().collect::<Vec<_>>(), desc.iter().collect::<Vec<_>>());
    assert_eq!(desc[0], *d_id, "newest first");

    // Voiding a: gone from every query and from statementId; served by voidedStatementId; the voiding statement
    // and d (which target a) still match a's filters.
    let voiding = json!({"id": Uuid::new_v4().to_string(), "actor": {"mbox": "mailto:admin@example.com"},
        "verb": {"id": VOIDED, "display": {"en-US": "voided"}}, "object": {"objectType": "StatementRef", "id": a_id}});
    let v_id = &post(&stack, &[voiding]).await[0];
    let mut deadline = 50;
    while get(&stack, &format!("/xapi/statements?statementId={a_id}")).await.0 != 404 {
        deadline -= 1;
        assert!(deadline > 0, "a never became voided");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(get(&stack, &format!("/xapi/statements?voidedStatementId={a_id}")).await.0, 200);
    assert_eq!(get(&stack, &format!("/xapi/statements?voidedStatementId={b_id}")).await.0, 404);
    assert_eq!(set(ids(&stack, &format!("verb={completed}")).await), want(&[b_id, d_id, v_id]));
    assert!(!ids(&stack, "").await.contains(a_id));
    assert_eq!(get(&stack, &format!("/xapi/statements?statementId={v_id}")).await.0, 200);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_formats_head_and_errors() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    let batch: Vec<Value> = (0..25).map(|i| statement(&format!("p{}", i % 3), "paged", &format!("a{i}"))).collect();
    let mut all: Vec<String> = vec![];
    for chunk in batch.chunks(5) {
        all.extend(post(&stack, chunk).await);
    }
    let paged = enc("http://example.com/verbs/paged");

    // Page through 7 at a time while new statements keep arriving: every statement stored before the first page
    // shows exactly once, none that arrived later does.
    let mut seen: Vec<String> = vec![];
    let mut next = format!("/xapi/statements?verb={paged}&limit=7");
    let mut late: Vec<String> = vec![];
    let mut pages = 0;
    loop {
        let (status, headers, body) = get(&stack, &next).await;
        assert_eq!(status, 200, "{next}: {body}");
        assert!(headers.contains_key("last-modified"));
        let v: Value = serde_json::from_str(&body).expect("json");
        let page = v["statements"].as_array().expect("array");
        assert!(page.len() <= 7);
        seen.extend(page.iter().map(|s| s["id"].as_str().expect("id").to_string()));
        pages += 1;
        late.extend(post(&stack, &[statement("late", "paged", "late")]).await);
        let more = v["more"].as_str().expect("more");
        if more.is_empty() {
            break;
        }
        assert!(more.starts_with("/xapi/statements?"), "{more}");
        next = more.to_string();
    }
    assert_eq!(pages, 4);
    assert_eq!(seen.len(), all.len(), "no statement twice, none missing");
    assert_eq!(seen.iter().collect::<HashSet<_>>(), all.iter().collect::<HashSet<_>>());
    // Ascending: the oldest first (the first request's statements share one `stored`).
    let (_, _, body) = get(&stack, &format!("/xapi/statements?verb={paged}&limit=10&ascending=true")).await;
    let v: Value = serde_json::from_str(&body).expect("json");
    let oldest = v["statements"][0]["id"].as_str().unwrap_or_default().to_string();
    assert!(all[..5].contains(&oldest), "oldest first");
    assert!(!v["more"].as_str().unwrap_or_default().is_empty());

    // limit=0 and above the maximum mean the maximum (500).
    for limit in ["0", "100000"] {
        let (_, _, body) = get(&stack, &format!("/xapi/statements?verb={paged}&limit={limit}")).await;
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["statements"].as_array().map(Vec::len), Some(all.len() + late.len()));
        assert_eq!(v["more"], "");
    }

    // Formats, on one statement and on a result.
    let id = &all[0];
    let (_, _, body) = get(&stack, &format!("/xapi/statements?statementId={id}&format=ids")).await;
    let s: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(s["verb"], json!({"id": "http://example.com/verbs/paged"}));
    assert_eq!(s["object"]["id"], "http://example.com/act/a0");
    assert!(s["object"].get("definition").is_none());
    let res = stack
        .request(Method::GET, &format!("/xapi/statements?verb={paged}&format=canonical&limit=1"))
        .header("Accept-Language", "fr-FR")
        .send()
        .await
        .expect("GET");
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["statements"][0]["verb"]["display"], json!({"fr-FR": "fr-paged"}));
    assert_eq!(v["statements"][0]["object"]["definition"]["name"], json!({"fr-FR": "Cours"}));
    let (_, headers, body) = get(&stack, &format!("/xapi/statements?statementId={id}")).await;
    let exact: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(exact["verb"]["display"]["en-US"], "paged");
    let stored = xapi::time::parse(exact["stored"].as_str().expect("stored")).expect("time").epoch_ms;
    assert_eq!(headers["last-modified"], xapi::time::format_http_date(stored).as_str());

    // HEAD: the same headers, no body.
    for path in [format!("/xapi/statements?statementId={id}"), format!("/xapi/statements?verb={paged}&limit=2")] {
        let res = stack.request(Method::HEAD, &path).send().await.expect("HEAD");
        assert_eq!(res.status(), 200);
        assert!(res.headers().contains_key("x-experience-api-consistent-through"));
        assert!(res.headers().contains_key("last-modified"));
        assert_eq!(res.headers()["content-type"], "application/json");
        assert!(res.bytes().await.expect("body").is_empty());
    }
    let res = stack
        .request(Method::HEAD, &format!("/xapi/statements?statementId={}", Uuid::new_v4()))
        .send()
        .await
        .expect("HEAD");
    assert_eq!(res.status(), 404);

    // Errors: 400 naming the parameter, with the consistency header.
    for (query, needle) in [
        ("foo=bar", "foo"),
        ("Limit=1", "limit"),
        ("limit=-1", "limit"),
        ("verb=not-an-iri", "verb"),
        ("agent=%7B%7D", "agent"),
        ("since=yesterday", "since"),
        ("format=full", "format"),
        ("ascending=yes", "ascending"),
        (&format!("statementId={id}&limit=1") as &str, "limit"),
        (&format!("statementId={id}&voidedStatementId={id}"), "voidedStatementId"),
    ] {
        let (status, headers, body) = get(&stack, &format!("/xapi/statements?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(headers.contains_key("x-experience-api-consistent-through"), "{query}");
        assert!(body.contains(needle), "{query}: {body}");
    }
    stack.shutdown().await;
}

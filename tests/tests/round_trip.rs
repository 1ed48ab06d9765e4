//! A statement's whole path: gateway -> Kafka -> processor -> ClickHouse -> query API.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use lrs_e2e::{synthetic_statement, ProcessorMode, Stack};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posted_statements_are_read_back_exactly() {
    let stack = Stack::start(ProcessorMode::InProcess).await;

    // One statement without an id: the LRS assigns it.
    let mut single = synthetic_statement(1);
    single.as_object_mut().expect("object").remove("id");
    let res = stack.post_statements(&single).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-experience-api-version"], "1.0.3");
    let ids: Vec<String> = res.json().await.expect("ids");
    assert_eq!(ids.len(), 1);

    // A batch, and a PUT.
    let batch: Vec<Value> = (0..5).map(synthetic_statement).collect();
    let res = stack.post_statements(&json!(batch)).await;
    assert_eq!(res.status(), 200);
    let batch_ids: Vec<String> = res.json().await.expect("ids");
    let expected: Vec<String> = batch.iter().map(|s| s["id"].as_str().expect("id").to_string()).collect();
    assert_eq!(batch_ids, expected, "ids are returned in request order");
    let put_id = uuid::Uuid::new_v4().to_string();
    let mut put_body = synthetic_statement(9);
    put_body.as_object_mut().expect("object").remove("id");
    let res = stack
        .request(Method::PUT, &format!("/xapi/statements?statementId={put_id}"))
        .json(&put_body)
        .send()
        .await
        .expect("PUT");
    assert_eq!(res.status(), 204);

    let all: Vec<String> = ids.iter().chain(&batch_ids).cloned().chain([put_id.clone()]).collect();
    stack.wait_visible(&all, Duration::from_secs(20)).await;

    let res = stack.get_statement(&batch_ids[2]).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("last-modified"));
    let through = res.headers()["x-experience-api-consistent-through"].to_str().expect("ascii").to_string();
    let stored: Value = res.json().await.expect("json");
    let mut sent = batch[2].clone();
    for lrs_set in ["stored", "authority", "version"] {
        assert!(stored.get(lrs_set).is_some(), "{lrs_set} assigned");
        sent[lrs_set] = stored[lrs_set].clone();
    }
    assert_eq!(stored, sent, "what was sent plus what the LRS sets, nothing else");
    assert_eq!(stored["authority"]["account"]["name"], lrs_e2e::KEY);
    assert!(xapi::time::parse(&through).is_some(), "consistent-through is a timestamp: {through}");

    let put: Value = stack.get_statement(&put_id).await.json().await.expect("json");
    assert_eq!(put["id"], json!(put_id));

    let unknown = stack.get_statement(&uuid::Uuid::new_v4().to_string()).await;
    assert_eq!(unknown.status(), 404);
    assert!(unknown.json::<Value>().await.expect("json error body")["message"].is_string());

    let head =
        stack.request(Method::HEAD, &format!("/xapi/statements?statementId={put_id}")).send().await.expect("HEAD");
    assert_eq!(head.status(), 200);
    assert_eq!(head.bytes().await.expect("body").len(), 0);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consistent_through_follows_the_processor() {
    let mut stack = Stack::start(ProcessorMode::InProcess).await;
    let res = stack.post_statements(&synthetic_statement(1)).await;
    let ids: Vec<String> = res.json().await.expect("ids");
    stack.wait_visible(&ids, Duration::from_secs(20)).await;
    let stored = stack.get_statement(&ids[0]).await.json::<Value>().await.expect("json")["stored"]
        .as_str()
        .map(xapi::time::parse)
        .expect("stored")
        .expect("timestamp")
        .epoch_ms;

    // Caught up: consistent through (about) now, so at or past the statement's `stored` soon.
    let through = wait_through(&stack, |t| t >= stored, Duration::from_secs(15)).await;
    assert!(through >= stored);

    // Stopped processor: new statements are accepted, and the header stays behind them.
    stack.stop_processor().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let res = stack.post_statements(&synthetic_statement(2)).await;
    let later: Vec<String> = res.json().await.expect("ids");
    let frozen = current_through(&stack).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(current_through(&stack).await, frozen, "no processor, no progress");
    assert!(frozen < lrs_common::now_ms() - 1000, "consistent-through is not 'now' while the processor is down");

    stack.start_processor(ProcessorMode::InProcess).await;
    stack.wait_visible(&later, Duration::from_secs(30)).await;
    wait_through(&stack, |t| t > frozen, Duration::from_secs(15)).await;
    stack.shutdown().await;
}

async fn current_through(stack: &Stack) -> i64 {
    let res = stack.request(Method::GET, "/xapi/statements?limit=1").send().await.expect("GET");
    let header = res.headers()["x-experience-api-consistent-through"].to_str().expect("ascii").to_string();
    xapi::time::parse(&header).expect("timestamp").epoch_ms
}

async fn wait_through(stack: &Stack, ok: impl Fn(i64) -> bool, timeout: Duration) -> i64 {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let t = current_through(stack).await;
        if ok(t) {
            return t;
        }
        assert!(std::time::Instant::now() < deadline, "consistent-through stuck at {t}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visible_mode_answers_once_the_write_is_readable() {
    let stack =
        Stack::start_with(ProcessorMode::InProcess, |s| s.ack_mode = lrs_common::config::AckMode::Visible).await;
    for n in 0..5 {
        let batch: Vec<Value> = (0..20).map(|i| synthetic_statement(n * 20 + i)).collect();
        let res = stack.post_statements(&json!(batch)).await;
        assert_eq!(res.status(), 200);
        let ids: Vec<String> = res.json().await.expect("ids");
        for id in &ids {
            let res = stack.get_statement(id).await;
            assert_eq!(res.status(), 200, "statement {id} readable as soon as the POST was answered");
        }
    }
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visible_mode_says_so_when_the_wait_times_out() {
    let mut stack = Stack::start_with(ProcessorMode::InProcess, |s| {
        s.ack_mode = lrs_common::config::AckMode::Visible;
        s.visible_timeout = Duration::from_millis(500);
    })
    .await;
    let res = stack.post_statements(&synthetic_statement(0)).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("x-lrs-visibility").is_none(), "visible in time: no header");
    stack.stop_processor().await;
    let res = stack.post_statements(&synthetic_statement(1)).await;
    assert_eq!(res.status(), 200, "the write is durable, so it is answered");
    assert_eq!(res.headers().get("x-lrs-visibility").and_then(|v| v.to_str().ok()), Some("pending"));
    let ids: Vec<String> = res.json().await.expect("ids");
    stack.start_processor(ProcessorMode::InProcess).await;
    stack.wait_visible(&ids, Duration::from_secs(30)).await;
    stack.shutdown().await;
}

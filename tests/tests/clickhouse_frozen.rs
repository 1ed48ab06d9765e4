//! ClickHouse frozen (SIGSTOP) under load, on a ClickHouse of this test's own: reads answer 503 within their
//! timeout instead of hanging, writes keep being acknowledged (Kafka holds them), the processor pauses and
//! retries, and once ClickHouse is back every acknowledged statement is stored, once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use lrs_e2e::{real_statements, PrivateClickHouse, ProcessorMode, Stack};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Posts `statements` (without ids: the LRS assigns them) in batches of 50; returns the acknowledged ids.
async fn post(stack: &Stack, statements: &[Value]) -> Vec<String> {
    let mut ids = Vec::new();
    for chunk in statements.chunks(50) {
        let res = stack.post_statements(&json!(chunk)).await;
        assert_eq!(res.status(), 200, "writes are acknowledged while ClickHouse is frozen");
        ids.extend(res.json::<Vec<String>>().await.unwrap());
    }
    ids
}

fn without_ids(n: usize) -> Vec<Value> {
    real_statements(n)
        .into_iter()
        .map(|mut s| {
            s.as_object_mut().unwrap().remove("id");
            s
        })
        .collect()
}

async fn metric(stack: &Stack, name: &str) -> f64 {
    let text = stack.http.get(format!("{}/metrics", stack.base)).send().await.unwrap().text().await.unwrap();
    text.lines().filter(|l| l.starts_with(name)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_clickhouse_delays_but_loses_nothing() {
    let clickhouse = PrivateClickHouse::start().await;
    let stack = Stack::start_with(ProcessorMode::InProcess, |s| {
        s.clickhouse_url = clickhouse.url.clone();
        s.clickhouse_timeout = Duration::from_secs(2);
        s.clickhouse_insert_timeout = Duration::from_secs(3);
    })
    .await;
    let mut acked = post(&stack, &without_ids(500)).await;
    stack.wait_visible(&acked, Duration::from_secs(60)).await;
    let known = acked[0].clone();

    clickhouse.freeze();
    let frozen_at = Instant::now();
    let failures_before = metric(&stack, "lrs_processor_write_failures_total").await;
    let more = without_ids(1000);
    let (writes, read) = tokio::join!(post(&stack, &more), async {
        let started = Instant::now();
        let res = stack.get_statement(&known).await;
        (res.status().as_u16(), started.elapsed(), res.text().await.unwrap_or_default())
    });
    acked.extend(writes);
    let (status, took, body) = read;
    eprintln!("read while frozen: {status} after {took:?}: {body}");
    assert_eq!(status, 503);
    assert!(took < Duration::from_secs(6), "the read is answered within its timeout, not held: {took:?}");
    assert!(!body.contains("Code:") && body.contains("request_id"), "a generic message with the request id: {body}");
    // Keep it frozen long enough for the processor's inserts to time out and be retried.
    tokio::time::sleep(Duration::from_secs(8).saturating_sub(frozen_at.elapsed())).await;
    let failures = metric(&stack, "lrs_processor_write_failures_total").await;
    clickhouse.thaw();
    assert!(failures > failures_before, "the processor's writes failed and were retried while frozen");

    stack.wait_visible(&acked, Duration::from_secs(120)).await;
    let stored = stack.stored_ids().await;
    let acked: HashSet<String> = acked.into_iter().collect();
    assert_eq!(stored, acked, "every acknowledged statement is stored, and nothing else");
    let rows: u64 = stack.clickhouse.query("SELECT count() FROM statements FINAL").fetch_one().await.unwrap();
    assert_eq!(rows, acked.len() as u64, "no statement stored twice");
    stack.shutdown().await;
}

//! The processor is SIGKILLed (twice) while a load is flowing; after restarts, every accepted statement is
//! stored exactly once: the same ids, no loss, and no duplicate left once ClickHouse collapses re-writes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use futures::StreamExt;
use lrs_e2e::{real_statements, ProcessorMode, Stack};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_processor_loses_and_duplicates_nothing() {
    let total: usize = std::env::var("LRS_E2E_KILL_STATEMENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let mut stack = Stack::start_with(ProcessorMode::Child, |s| s.batch_max_rows = 5_000).await;
    let statements = real_statements(total);
    let sent: HashSet<String> = statements.iter().map(|s| s["id"].as_str().expect("id").to_string()).collect();
    let batches: Vec<Value> = statements.chunks(100).map(|c| json!(c)).collect();
    let started = Instant::now();

    let poster = {
        let http = stack.http.clone();
        let url = format!("{}/xapi/statements", stack.base);
        tokio::spawn(async move {
            futures::stream::iter(batches)
                .map(|batch| {
                    let req = http
                        .post(&url)
                        .basic_auth(lrs_e2e::KEY, Some(lrs_e2e::SECRET))
                        .header("X-Experience-API-Version", "1.0.3")
                        .json(&batch);
                    async move { req.send().await.map(|r| r.status().as_u16()) }
                })
                .buffer_unordered(4)
                .fold(0usize, |accepted, status| async move {
                    assert_eq!(status.ok(), Some(200), "every batch is accepted");
                    accepted + 100
                })
                .await
        })
    };

    for fraction in [5, 2] {
        let target = (total / fraction) as u64;
        stack.wait_count(target, Duration::from_secs(300)).await;
        stack.kill_processor();
        eprintln!("killed the processor with {} statements stored", stack.stored_count().await);
        tokio::time::sleep(Duration::from_millis(300)).await;
        stack.start_processor(ProcessorMode::Child).await;
    }

    let accepted = poster.await.expect("poster");
    assert!(accepted >= total);
    stack.wait_count(total as u64, Duration::from_secs(300)).await;
    eprintln!("{total} statements stored end to end in {:?}", started.elapsed());

    let stored = stack.stored_ids().await;
    assert_eq!(stored.len(), sent.len());
    assert!(stored == sent, "the stored ids are exactly the accepted ids");

    let rows: u64 = stack.clickhouse.query("SELECT count() FROM statements").fetch_one().await.expect("count");
    eprintln!("{} rows written for {total} statements before collapsing re-writes", rows);
    stack.clickhouse.query("OPTIMIZE TABLE statements FINAL").execute().await.expect("optimize");
    let rows: u64 = stack.clickhouse.query("SELECT count() FROM statements").fetch_one().await.expect("count");
    assert_eq!(rows, total as u64, "re-written rows collapse to one per statement");

    for id in sent.iter().take(20) {
        let res = stack.get_statement(id).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.expect("json")["id"], json!(id));
    }
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_commits_and_exits_cleanly() {
    let mut stack = Stack::start_with(ProcessorMode::Child, |s| s.batch_max_rows = 500).await;
    let statements = real_statements(3_000);
    for chunk in statements.chunks(100) {
        assert_eq!(stack.post_statements(&json!(chunk)).await.status(), 200);
    }
    stack.wait_count(1_000, Duration::from_secs(60)).await;
    let (took, success) = stack.terminate_child_processor();
    assert!(success, "the processor exits with success on SIGTERM");
    assert!(took < Duration::from_secs(10), "and within the shutdown grace ({took:?})");

    // What it committed is not read again: a restarted processor finishes the rest without re-writing
    // everything from the start.
    let rows_before: u64 = stack.clickhouse.query("SELECT count() FROM statements").fetch_one().await.expect("count");
    stack.start_processor(ProcessorMode::Child).await;
    stack.wait_count(3_000, Duration::from_secs(60)).await;
    let rows_after: u64 = stack.clickhouse.query("SELECT count() FROM statements").fetch_one().await.expect("count");
    assert_eq!(rows_after, 3_000, "no record was written twice ({rows_before} rows before the restart)");
    stack.shutdown().await;
}

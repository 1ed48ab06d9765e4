//! Bounded lag end to end: with the processor stopped, the gateway refuses statement writes with 503 and
//! `Retry-After` once the lag passes `LRS_MAX_LAG_MS`, and accepts them again when the processor has caught up.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use lrs_e2e::{ProcessorMode, Stack};
use serde_json::json;
use std::time::{Duration, Instant};

fn statement() -> serde_json::Value {
    json!({"id": uuid::Uuid::new_v4().to_string(), "actor": {"mbox": "mailto:lag@example.com"},
           "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": {"id": "http://example.com/a"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_refused_while_the_processors_lag_and_accepted_after() {
    let mut stack = Stack::start_with(ProcessorMode::InProcess, |s| s.max_lag = Duration::from_secs(3)).await;
    let first = statement();
    assert_eq!(stack.post_statements(&first).await.status(), 200);
    stack.wait_visible(&[first["id"].as_str().unwrap().to_string()], Duration::from_secs(30)).await;
    // The lag is read from the processor's watermarks (written once a second): wait for a complete set.
    let deadline = Instant::now() + Duration::from_secs(30);
    let topic = stack.settings.statements_topic.clone();
    loop {
        let complete: u8 = stack
            .clickhouse
            .query(
                "SELECT count() > 0 AND uniqExact(partition) >= max(partition_count) FROM partition_watermarks \
                 WHERE topic = ?",
            )
            .bind(topic.as_str())
            .fetch_one()
            .await
            .unwrap();
        if complete == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "no watermarks written");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    stack.stop_processor().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut accepted = Vec::new();
    let refused = loop {
        let s = statement();
        let res = stack.post_statements(&s).await;
        if res.status() == 503 {
            break res;
        }
        assert_eq!(res.status(), 200);
        accepted.push(s["id"].as_str().unwrap().to_string());
        assert!(Instant::now() < deadline, "never refused while the processor was stopped");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let retry: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry));
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("retry after"), "{body}");

    stack.start_processor(ProcessorMode::InProcess).await;
    stack.wait_visible(&accepted, Duration::from_secs(60)).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = statement();
        let status = stack.post_statements(&s).await.status();
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        assert!(Instant::now() < deadline, "still refused after the processor caught up");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stack.shutdown().await;
}

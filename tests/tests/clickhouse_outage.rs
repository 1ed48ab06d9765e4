//! ClickHouse is not on the write path. Under a steady load of statements that carry their own ids (batches and
//! single PUTs, as players send them), ClickHouse is killed and restarted, then frozen with SIGSTOP for 20 s:
//! every write is still acknowledged, none waits longer than Kafka needs, a statement sent again is still a
//! no-op, and once ClickHouse is back every acknowledged statement is stored exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use lrs_e2e::{real_statements, PrivateClickHouse, ProcessorMode, Stack};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the writers saw: acknowledged ids, refusals, and the slowest answer.
#[derive(Default)]
struct Seen {
    acked: Vec<String>,
    refused: Vec<String>,
    slowest: Duration,
    requests: usize,
}

impl Seen {
    fn record(&mut self, took: Duration, status: u16, ids: &[String]) {
        self.requests += 1;
        self.slowest = self.slowest.max(took);
        if (200..300).contains(&status) {
            self.acked.extend_from_slice(ids);
        } else {
            self.refused.push(format!("{status} after {took:?}"));
        }
    }
}

/// Two writers until `stop`: one posts batches of 50 with client ids (and, every tenth time, posts the previous
/// batch again, which must be a no-op), one PUTs single statements.
fn writers(stack: &Arc<Stack>, stop: &Arc<AtomicBool>, seen: &Arc<Mutex<Seen>>) -> Vec<tokio::task::JoinHandle<()>> {
    let templates = Arc::new(real_statements(1000));
    let fresh = move |n: usize, k: usize| -> Vec<Value> {
        (0..k)
            .map(|i| {
                let mut s = templates[(n * k + i) % templates.len()].clone();
                s["id"] = json!(uuid::Uuid::new_v4().to_string());
                s
            })
            .collect()
    };
    let batches = {
        let (stack, stop, seen, fresh) = (stack.clone(), stop.clone(), seen.clone(), fresh.clone());
        tokio::spawn(async move {
            let mut previous: Option<Vec<Value>> = None;
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let batch = match previous.take() {
                    Some(again) if n.is_multiple_of(10) => again,
                    _ => fresh(n, 50),
                };
                let ids: Vec<String> = batch.iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
                let started = Instant::now();
                let status = stack.post_statements(&json!(batch)).await.status().as_u16();
                seen.lock().unwrap().record(started.elapsed(), status, &ids);
                previous = Some(batch);
            }
        })
    };
    let singles = {
        let (stack, stop, seen) = (stack.clone(), stop.clone(), seen.clone());
        tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let statement = fresh(n, 1).remove(0);
                let id = statement["id"].as_str().unwrap().to_owned();
                let started = Instant::now();
                let res = stack
                    .request(Method::PUT, &format!("/xapi/statements?statementId={id}"))
                    .json(&statement)
                    .send()
                    .await
                    .unwrap();
                seen.lock().unwrap().record(started.elapsed(), res.status().as_u16(), &[id]);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    vec![batches, singles]
}

/// Runs the writers around `outage`, then checks that what was acknowledged is stored, once.
async fn under_load<F: std::future::Future<Output = ()>>(
    stack: &Arc<Stack>,
    label: &str,
    outage: F,
) -> HashSet<String> {
    let (stop, seen) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(Seen::default())));
    let tasks = writers(stack, &stop, &seen);
    tokio::time::sleep(Duration::from_secs(2)).await;
    outage.await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    eprintln!(
        "{label}: {} requests, {} statements acknowledged, slowest answer {:?}",
        seen.requests,
        seen.acked.len(),
        seen.slowest
    );
    assert!(seen.refused.is_empty(), "{label}: no write is refused: {:?}", seen.refused);
    // Kafka's own latency with acks=all is milliseconds; this bound leaves room for a loaded 2-core machine.
    assert!(seen.slowest < Duration::from_secs(3), "{label}: no write waits for ClickHouse: {:?}", seen.slowest);
    seen.acked.into_iter().collect()
}

async fn assert_stored_once(stack: &Stack, acked: &HashSet<String>) {
    let ids: Vec<String> = acked.iter().cloned().collect();
    stack.wait_visible(&ids, Duration::from_secs(180)).await;
    let stored = stack.stored_ids().await;
    assert_eq!(stored.len(), acked.len(), "every acknowledged statement is stored, and nothing else");
    assert!(acked.iter().all(|id| stored.contains(id)));
    let rows: u64 = stack.clickhouse.query("SELECT count() FROM statements FINAL").fetch_one().await.unwrap();
    assert_eq!(rows, acked.len() as u64, "no statement stored twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_with_client_ids_ride_out_a_killed_and_a_frozen_clickhouse() {
    let mut clickhouse = PrivateClickHouse::start().await;
    let stack = Arc::new(
        Stack::start_with(ProcessorMode::InProcess, |s| {
            s.clickhouse_url = clickhouse.url.clone();
            s.clickhouse_timeout = Duration::from_secs(2);
            s.clickhouse_insert_timeout = Duration::from_secs(3);
        })
        .await,
    );

    let mut acked = under_load(&stack, "killed", async {
        clickhouse.kill();
        tokio::time::sleep(Duration::from_secs(5)).await;
        clickhouse.restart().await;
    })
    .await;
    assert_stored_once(&stack, &acked).await;

    acked.extend(
        under_load(&stack, "frozen", async {
            clickhouse.freeze();
            tokio::time::sleep(Duration::from_secs(20)).await;
            clickhouse.thaw();
        })
        .await,
    );
    assert_stored_once(&stack, &acked).await;

    Arc::try_unwrap(stack).ok().expect("one owner").shutdown().await;
    drop(clickhouse);
}

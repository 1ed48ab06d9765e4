//! Every metric the services export follows Prometheus's naming and unit conventions: `promtool check metrics`
//! finds nothing in `/metrics` after statements were written, processed and read (the gateway, the query
//! routes and an in-process processor share one registry here, so one scrape holds all of them).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use lrs_e2e::{synthetic_statement, ProcessorMode, Stack};
use reqwest::Method;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_finds_nothing_to_fix_in_metrics() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    let s = synthetic_statement(1);
    let id = s["id"].as_str().expect("id").to_string();
    assert_eq!(stack.post_statements(&s).await.status(), 200);
    stack.wait_visible(std::slice::from_ref(&id), Duration::from_secs(20)).await;
    let list = stack.request(Method::GET, "/xapi/statements?limit=5").send().await.expect("list");
    assert_eq!(list.status(), 200);

    let text =
        stack.http.get(format!("{}/metrics", stack.base)).send().await.expect("scrape").text().await.expect("body");
    assert!(text.contains("lrs_ingest_statements_total") && text.contains("lrs_clickhouse_insert_batches_total"));
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package; `make test` installs it)");
    promtool.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("written");
    let out = promtool.wait_with_output().expect("promtool ran");
    let findings = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && findings.trim().is_empty(), "promtool check metrics:\n{findings}");
    stack.shutdown().await;
}

//! The per-credential rate limit end to end: over its burst a credential gets 429 with `Retry-After`, another
//! credential is not held back, and after the wait the first passes again.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use lrs_e2e::{ProcessorMode, Stack};
use reqwest::Method;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_its_rate_a_credential_waits() {
    let stack = Stack::start_with(ProcessorMode::InProcess, |s| {
        s.rate_limit_per_s = 2.0;
        s.rate_limit_burst = 5.0;
    })
    .await;
    let get = || stack.request(Method::GET, "/xapi/statements?limit=1").send();
    for _ in 0..5 {
        assert_eq!(get().await.unwrap().status(), 200);
    }
    let refused = get().await.unwrap();
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    let s = &stack.settings;
    let admin = stack.http.get(format!("{}/admin/stores", stack.base)).basic_auth(&s.admin_key, Some(&s.admin_secret));
    assert_eq!(admin.send().await.unwrap().status(), 200, "another credential has its own bucket");
    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert_eq!(get().await.unwrap().status(), 200);
    stack.shutdown().await;
}

//! The dashboard in a real browser: headless Chromium signs in with a key and secret, waits for every tile,
//! checks that the content-types tile shows the numbers the analytics API gives for the same query, and saves
//! a screenshot (`LRS_SCREENSHOT`, default `<data dir>/log/dashboard.png`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use lrs_e2e::browser::Browser;
use lrs_e2e::{ProcessorMode, Stack, KEY, SECRET};
use lrsctl::organisation::Organisation;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_signs_in_and_shows_what_the_api_counts() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    let now = lrs_common::now_ms();
    let statements: Vec<Value> = Organisation::new(11, 120, now, 150).take(6000).collect();
    for chunk in statements.chunks(500) {
        assert_eq!(stack.post_statements(&json!(chunk)).await.status(), 200);
    }
    stack.wait_analytics(statements.len() as u64, Duration::from_secs(120)).await;

    let browser = Browser::start().await.expect("headless chromium (deploy/local/install.sh installs it)");
    browser.goto(&format!("{}/dashboard?tz=UTC", stack.base)).await.unwrap();
    // A wrong secret is refused on the sign-in form.
    browser.type_into("#key", KEY).await.unwrap();
    browser.type_into("#secret", "not-the-secret").await.unwrap();
    browser.click("#signin-button").await.unwrap();
    browser
        .wait_for("return document.querySelector('#signin-error').textContent.length > 0", Duration::from_secs(20))
        .await
        .unwrap();
    browser.eval("document.querySelector('#secret').value = ''", json!([])).await.unwrap();
    browser.type_into("#secret", SECRET).await.unwrap();
    browser.click("#signin-button").await.unwrap();
    browser.wait_for("return document.body.dataset.ready === 'true'", Duration::from_secs(60)).await.unwrap();
    let states = browser
        .eval(
            "return [...document.querySelectorAll('.tile')].map(t => t.dataset.tile + ':' + t.dataset.state)",
            json!([]),
        )
        .await
        .unwrap();
    let states: Vec<String> = serde_json::from_value(states).unwrap();
    assert!(states.len() >= 10 && states.iter().all(|s| s.ends_with(":ready")), "every tile drew: {states:?}");

    // The content-types tile's table against the API's answer to the query the tile sent.
    let shown = browser
        .eval(
            "const t = document.querySelector('[data-tile=content-types]'); \
             return {query: t.dataset.query, rows: [...t.querySelectorAll('tr')].slice(1).map(r => [...r.cells].map(c => c.textContent))}",
            json!([]),
        )
        .await
        .unwrap();
    let query = shown["query"].as_str().unwrap();
    let api: Value = stack
        .request(Method::GET, &format!("/analytics/aggregate?{query}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let want: Vec<(String, String)> =
        api["rows"].as_array().unwrap().iter().map(|r| (r[1].to_string(), r[2].to_string())).collect();
    let got: Vec<(String, String)> = shown["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[1].as_str().unwrap().to_string(), r[2].as_str().unwrap().to_string()))
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want, "the tile shows the API's statements and learners per content type");

    // The CSV of the same tile is served.
    let csv = stack.request(Method::GET, &format!("/analytics/aggregate?{query}&format=csv")).send().await.unwrap();
    assert!(csv.text().await.unwrap().starts_with("activity_type,statements,actors\r\n"));

    let png = browser.screenshot().await.unwrap();
    let path = std::env::var("LRS_SCREENSHOT").map(std::path::PathBuf::from).unwrap_or_else(|_| {
        std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.data/log/dashboard.png"))
    });
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(&path, &png).unwrap();
    eprintln!("screenshot: {} ({} bytes)", path.display(), png.len());
    drop(browser);
    stack.shutdown().await;
}

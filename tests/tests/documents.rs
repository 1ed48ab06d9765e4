//! The document resources end to end: gateway -> documents topic -> processor -> ClickHouse -> query API.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use lrs_e2e::{ProcessorMode, Stack, KEY, SECRET};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};

const AGENT: &str = r#"{"objectType":"Agent","mbox":"mailto:docs@example.com"}"#;
const ACTIVITY: &str = "http://example.com/activities/docs";

fn req(stack: &Stack, method: Method, path: &str, version: &str, query: &[(&str, &str)]) -> RequestBuilder {
    stack
        .http
        .request(method, format!("{}{path}?{}", stack.base, encode(query)))
        .basic_auth(KEY, Some(SECRET))
        .header("X-Experience-API-Version", version)
}

/// `application/x-www-form-urlencoded` query string (every byte but the unreserved ones percent-encoded).
fn encode(query: &[(&str, &str)]) -> String {
    let escape = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    query.iter().map(|(k, v)| format!("{}={}", escape(k), escape(v))).collect::<Vec<_>>().join("&")
}

async fn send(builder: RequestBuilder) -> Response {
    builder.send().await.expect("request sent")
}

fn etag_of(res: &Response) -> String {
    res.headers().get("etag").expect("an ETag").to_str().expect("ascii").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_put_get_post_merge_delete() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    let v = "1.0.3";
    let q = [("activityId", ACTIVITY), ("agent", AGENT), ("stateId", "s1")];
    let state = "/xapi/activities/state";

    let res = send(req(&stack, Method::PUT, state, v, &q).json(&json!({"a": 1, "nested": {"x": 1}}))).await;
    assert_eq!(res.status(), 204);
    let res = send(req(&stack, Method::GET, state, v, &q)).await;
    assert_eq!(res.status(), 200);
    let tag = etag_of(&res);
    assert!(tag.len() == 42 && tag.starts_with('"') && tag.ends_with('"'), "quoted SHA-1 hex: {tag}");
    assert!(res.headers().contains_key("last-modified"));
    assert!(res.headers()["content-type"].to_str().expect("ascii").starts_with("application/json"));
    assert_eq!(res.json::<Value>().await.expect("json"), json!({"a": 1, "nested": {"x": 1}}));

    // POST merges top-level properties.
    let res = send(req(&stack, Method::POST, state, v, &q).json(&json!({"b": 2, "nested": {"y": 2}}))).await;
    assert_eq!(res.status(), 204);
    let res = send(req(&stack, Method::GET, state, v, &q)).await;
    assert_ne!(etag_of(&res), tag, "a new version, a new ETag");
    assert_eq!(res.json::<Value>().await.expect("json"), json!({"a": 1, "nested": {"y": 2}, "b": 2}));

    // A POST that is not a JSON object is refused and changes nothing.
    let res =
        send(req(&stack, Method::POST, state, v, &q).header("content-type", "application/json").body("[1]")).await;
    assert_eq!(res.status(), 400);
    let res = send(req(&stack, Method::POST, state, v, &q).header("content-type", "text/plain").body("abc")).await;
    assert_eq!(res.status(), 400);
    assert!(res.json::<Value>().await.expect("json error")["message"].is_string());

    // Binary documents are stored byte-exact and served with their Content-Type.
    let bq = [("activityId", ACTIVITY), ("agent", AGENT), ("stateId", "bin")];
    let bytes = vec![0u8, 0xff, 0xfe, b'x', 0x80];
    let res = send(
        req(&stack, Method::PUT, state, v, &bq).header("content-type", "application/octet-stream").body(bytes.clone()),
    )
    .await;
    assert_eq!(res.status(), 204);
    let res = send(req(&stack, Method::GET, state, v, &bq)).await;
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert_eq!(res.bytes().await.expect("body").to_vec(), bytes);
    let res = send(req(&stack, Method::POST, state, v, &bq).json(&json!({"a": 1}))).await;
    assert_eq!(res.status(), 400, "an existing non-JSON document cannot be merged into");

    // The ids of the activity and agent, filtered by since.
    let list = [("activityId", ACTIVITY), ("agent", AGENT)];
    let ids: Vec<String> = send(req(&stack, Method::GET, state, v, &list)).await.json().await.expect("ids");
    assert_eq!(ids.len(), 2, "{ids:?}");
    let future = [("activityId", ACTIVITY), ("agent", AGENT), ("since", "2999-01-01T00:00:00Z")];
    let ids: Vec<String> = send(req(&stack, Method::GET, state, v, &future)).await.json().await.expect("ids");
    assert!(ids.is_empty());

    // DELETE one, then DELETE all (scoped by registration when given).
    assert_eq!(send(req(&stack, Method::DELETE, state, v, &q)).await.status(), 204);
    assert_eq!(send(req(&stack, Method::GET, state, v, &q)).await.status(), 404);
    let reg = "6f1c3a3e-1111-4222-8333-444455556666";
    let rq = [("activityId", ACTIVITY), ("agent", AGENT), ("stateId", "r"), ("registration", reg)];
    assert_eq!(send(req(&stack, Method::PUT, state, v, &rq).json(&json!({}))).await.status(), 204);
    let scoped = [("activityId", ACTIVITY), ("agent", AGENT), ("registration", reg)];
    assert_eq!(send(req(&stack, Method::DELETE, state, v, &scoped)).await.status(), 204);
    assert_eq!(send(req(&stack, Method::GET, state, v, &rq)).await.status(), 404);
    assert_eq!(send(req(&stack, Method::GET, state, v, &bq)).await.status(), 200, "other registrations stay");
    assert_eq!(send(req(&stack, Method::DELETE, state, v, &list)).await.status(), 204);
    assert_eq!(send(req(&stack, Method::GET, state, v, &bq)).await.status(), 404);

    // Bad parameters.
    let bad_agent = [("activityId", ACTIVITY), ("agent", r#"{"mbox":"nope"}"#), ("stateId", "s")];
    assert_eq!(send(req(&stack, Method::PUT, state, v, &bad_agent).json(&json!({}))).await.status(), 400);
    let bad_reg = [("activityId", ACTIVITY), ("agent", AGENT), ("stateId", "s"), ("registration", "x")];
    assert_eq!(send(req(&stack, Method::GET, state, v, &bad_reg)).await.status(), 400);
    assert_eq!(send(req(&stack, Method::GET, state, v, &[("agent", AGENT)])).await.status(), 400);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etag_preconditions() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    let v = "2.0.0";
    let profile = "/xapi/activities/profile";
    let q = [("activityId", ACTIVITY), ("profileId", "p1")];

    let create = || req(&stack, Method::PUT, profile, v, &q).header("If-None-Match", "*");
    assert_eq!(send(create().json(&json!({"v": 1}))).await.status(), 204);
    assert_eq!(send(create().json(&json!({"v": 2}))).await.status(), 412, "If-None-Match: * on an existing document");
    let res = send(req(&stack, Method::PUT, profile, v, &q).json(&json!({"v": 3}))).await;
    assert_eq!(res.status(), 409, "PUT without a precondition on an existing document");
    let tag = etag_of(&send(req(&stack, Method::GET, profile, v, &q)).await);

    let put_if = |t: &str| req(&stack, Method::PUT, profile, v, &q).header("If-Match", t.to_string());
    assert_eq!(send(put_if("\"1234\"").json(&json!({"v": 4}))).await.status(), 412);
    assert_eq!(send(put_if(&tag).json(&json!({"v": 5}))).await.status(), 204);
    let res = send(req(&stack, Method::GET, profile, v, &q)).await;
    let new_tag = etag_of(&res);
    assert_eq!(res.json::<Value>().await.expect("json"), json!({"v": 5}));
    assert_eq!(send(put_if(&tag).json(&json!({"v": 6}))).await.status(), 412, "the old ETag is stale");

    let post_if = |t: &str| req(&stack, Method::POST, profile, v, &q).header("If-Match", t.to_string());
    assert_eq!(send(post_if("\"1234\"").json(&json!({"w": 1}))).await.status(), 412);
    let delete_if = |t: &str| req(&stack, Method::DELETE, profile, v, &q).header("If-Match", t.to_string());
    assert_eq!(send(delete_if("\"1234\"")).await.status(), 412);
    assert_eq!(send(req(&stack, Method::GET, profile, v, &q)).await.status(), 200, "not deleted");
    assert_eq!(send(delete_if(&new_tag)).await.status(), 204);
    assert_eq!(send(req(&stack, Method::GET, profile, v, &q)).await.status(), 404);

    // xAPI 1.0.3 Agent Profile: a PUT needs a precondition header even for a new document.
    let agent_profile = "/xapi/agents/profile";
    let aq = [("agent", AGENT), ("profileId", "p")];
    assert_eq!(send(req(&stack, Method::PUT, agent_profile, "1.0.3", &aq).json(&json!({}))).await.status(), 400);
    let res =
        send(req(&stack, Method::PUT, agent_profile, "1.0.3", &aq).header("If-None-Match", "*").json(&json!({}))).await;
    assert_eq!(res.status(), 204);
    assert_eq!(send(req(&stack, Method::PUT, agent_profile, "1.0.3", &aq).json(&json!({}))).await.status(), 409);
    let ids: Vec<String> =
        send(req(&stack, Method::GET, agent_profile, "1.0.3", &[("agent", AGENT)])).await.json().await.expect("ids");
    assert_eq!(ids, vec!["p".to_string()]);
    stack.shutdown().await;
}

/// Two gateway replicas (the harness's and a second one on the same settings), one writer on each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_with_one_etag_exactly_one_wins() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let second = format!("http://{}", listener.local_addr().expect("addr"));
    let shutdown = lrs_common::Shutdown::new();
    let replica = tokio::spawn(lrs_ingest::run(listener, stack.settings.clone(), shutdown.clone()));
    wait_ready(&stack, &second).await;

    let v = "2.0.0";
    let profile = "/xapi/agents/profile";
    for round in 0..5 {
        let id = format!("race-{round}");
        let q = [("agent", AGENT), ("profileId", id.as_str())];
        let res =
            send(req(&stack, Method::PUT, profile, v, &q).header("If-None-Match", "*").json(&json!({"w": 0}))).await;
        assert_eq!(res.status(), 204);
        let tag = etag_of(&send(req(&stack, Method::GET, profile, v, &q)).await);
        let first = req(&stack, Method::PUT, profile, v, &q).header("If-Match", tag.clone()).json(&json!({"w": 1}));
        let other = stack
            .http
            .put(format!("{second}{profile}?{}", encode(&q)))
            .basic_auth(KEY, Some(SECRET))
            .header("X-Experience-API-Version", v)
            .header("If-Match", tag.clone())
            .json(&json!({"w": 2}));
        let (a, b) = tokio::join!(send(first), send(other));
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [204, 412], "round {round}");
        let winner = if a.status() == 204 { 1 } else { 2 };
        let stored: Value = send(req(&stack, Method::GET, profile, v, &q)).await.json().await.expect("json");
        assert_eq!(stored, json!({"w": winner}), "round {round}: the winner's document is stored");
    }
    shutdown.trigger();
    replica.await.expect("joined").expect("replica ran cleanly");
    stack.shutdown().await;
}

async fn wait_ready(stack: &Stack, base: &str) {
    for _ in 0..300 {
        let ok = stack.http.get(format!("{base}/ready")).send().await.map(|r| r.status() == 200);
        if ok.unwrap_or(false) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("second gateway not ready within 30s");
}

//! The admin API end to end: stores and credentials created, used, scoped, revoked (refused by another
//! replica within 2 s) and deleted with their data; two stores holding the same statement id apart.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use lrs_common::Shutdown;
use lrs_e2e::{ProcessorMode, Stack};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use uuid::Uuid;

struct Admin<'a> {
    stack: &'a Stack,
}

impl Admin<'_> {
    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let s = &self.stack.settings;
        self.stack
            .http
            .request(method, format!("{}{path}", self.stack.base))
            .basic_auth(&s.admin_key, Some(&s.admin_secret))
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.request(method, path);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// A request to `base` with another credential.
fn as_key(stack: &Stack, base: &str, method: Method, path: &str, key: &str, secret: &str) -> reqwest::RequestBuilder {
    stack
        .http
        .request(method, format!("{base}{path}"))
        .basic_auth(key, Some(secret))
        .header("X-Experience-API-Version", "1.0.3")
}

fn statement(id: &str, who: &str) -> Value {
    json!({"id": id, "actor": {"mbox": format!("mailto:{who}@example.com")},
           "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}, "object": {"id": "http://example.com/a"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_and_credentials_end_to_end() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    let admin = Admin { stack: &stack };
    let base = stack.base.clone();

    // Who may call what.
    let anonymous = stack.http.get(format!("{base}/admin/stores")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(stack.request(Method::GET, "/admin/stores").send().await.unwrap().status(), 403);
    assert_eq!(admin.request(Method::GET, "/xapi/statements").send().await.unwrap().status(), 403);

    // Stores.
    assert_eq!(admin.call(Method::POST, "/admin/stores", Some(json!({"name": "acme"}))).await.0, 201);
    assert_eq!(admin.call(Method::POST, "/admin/stores", Some(json!({"name": "acme"}))).await.0, 409);
    assert_eq!(admin.call(Method::POST, "/admin/stores", Some(json!({"name": "Not OK"}))).await.0, 400);
    assert_eq!(admin.call(Method::POST, "/admin/stores", Some(json!({"nom": "x"}))).await.0, 400);
    let (_, listed) = admin.call(Method::GET, "/admin/stores", None).await;
    let names: Vec<&str> = listed["stores"].as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, [stack.settings.dev_store.as_str(), "acme"]);

    // Credentials.
    let new = |store: &str, scopes: Value| json!({"store": store, "scopes": scopes, "label": "fleet"});
    let (status, cred) = admin
        .call(Method::POST, "/admin/credentials", Some(new("acme", json!(["statements/write", "statements/read"]))))
        .await;
    assert_eq!(status, 201, "{cred}");
    let (key, secret) = (cred["key"].as_str().unwrap().to_string(), cred["secret"].as_str().unwrap().to_string());
    assert_eq!(admin.call(Method::POST, "/admin/credentials", Some(new("nope", json!([])))).await.0, 404);
    assert_eq!(admin.call(Method::POST, "/admin/credentials", Some(new("acme", json!(["root"])))).await.0, 400);
    let (_, listed) = admin.call(Method::GET, "/admin/credentials?store=acme", None).await;
    let listed = listed["credentials"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["key"], key.as_str());
    assert!(listed[0].get("secret").is_none(), "secrets are shown once only");
    assert_eq!(listed[0]["scopes"], json!(["statements/write", "statements/read"]));

    // The same id in two stores: two statements, each seen only through its own store.
    let id = Uuid::new_v4().to_string();
    let acme = |m: Method, p: &str| as_key(&stack, &base, m, p, &key, &secret);
    assert_eq!(
        acme(Method::POST, "/xapi/statements").json(&statement(&id, "acme")).send().await.unwrap().status(),
        200
    );
    assert_eq!(stack.post_statements(&statement(&id, "default")).await.status(), 200);
    let by_id = format!("/xapi/statements?statementId={id}");
    let mine: Value = acme(Method::GET, &by_id).send().await.unwrap().json().await.unwrap();
    assert_eq!(mine["actor"]["mbox"], "mailto:acme@example.com");
    let theirs: Value = stack.request(Method::GET, &by_id).send().await.unwrap().json().await.unwrap();
    assert_eq!(theirs["actor"]["mbox"], "mailto:default@example.com");
    let list: Value = acme(Method::GET, "/xapi/statements").send().await.unwrap().json().await.unwrap();
    assert_eq!(list["statements"].as_array().unwrap().len(), 1);

    // Scopes: this credential has neither state nor analytics.
    let state =
        "/xapi/activities/state?activityId=http%3A%2F%2Fx&stateId=s&agent=%7B%22mbox%22%3A%22mailto%3Aa%40b.c%22%7D";
    let refused = acme(Method::PUT, state).json(&json!({"a": 1})).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let message: Value = refused.json().await.unwrap();
    assert!(message["message"].as_str().unwrap().contains("state"), "{message}");
    assert_eq!(acme(Method::GET, "/analytics/aggregate?measures=statements").send().await.unwrap().status(), 403);

    // No scopes given: statements/write and statements/read/mine, which reads only its own statements.
    let (_, cred) = admin.call(Method::POST, "/admin/credentials", Some(json!({"store": "acme"}))).await;
    assert_eq!(cred["scopes"], json!(["statements/write", "statements/read/mine"]));
    let (mine_key, mine_secret) =
        (cred["key"].as_str().unwrap().to_string(), cred["secret"].as_str().unwrap().to_string());
    let mine = |m: Method, p: &str| as_key(&stack, &base, m, p, &mine_key, &mine_secret);
    let own = Uuid::new_v4().to_string();
    assert_eq!(
        mine(Method::POST, "/xapi/statements").json(&statement(&own, "mine")).send().await.unwrap().status(),
        200
    );
    let list: Value = mine(Method::GET, "/xapi/statements").send().await.unwrap().json().await.unwrap();
    let ids: Vec<&str> = list["statements"].as_array().unwrap().iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, [own.as_str()], "only its own statements");
    assert_eq!(mine(Method::GET, &by_id).send().await.unwrap().status(), 404, "another credential's statement");
    assert_eq!(mine(Method::GET, &format!("/xapi/statements?statementId={own}")).send().await.unwrap().status(), 200);
    let agent = lrs_common::http::form::escape(r#"{"mbox":"mailto:acme@example.com"}"#);
    let filtered: Value =
        mine(Method::GET, &format!("/xapi/statements?agent={agent}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(filtered["statements"], json!([]));
    let all: Value = acme(Method::GET, "/xapi/statements").send().await.unwrap().json().await.unwrap();
    assert_eq!(all["statements"].as_array().unwrap().len(), 2, "statements/read reads every statement of the store");

    // Revocation: another replica (a query service of its own) refuses the key within 2 s.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let replica = format!("http://{}", listener.local_addr().unwrap());
    let shutdown = Shutdown::new();
    let query = tokio::spawn(lrs_query::run(listener, stack.settings.clone(), shutdown.clone()));
    let on_replica = || as_key(&stack, &replica, Method::GET, &by_id, &key, &secret).send();
    let deadline = Instant::now() + Duration::from_secs(10);
    while on_replica().await.map(|r| r.status()).ok() != Some(StatusCode::OK) {
        assert!(Instant::now() < deadline, "the replica never accepted the new credential");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(admin.call(Method::DELETE, &format!("/admin/credentials/{key}"), None).await.0, 204);
    let revoked = Instant::now();
    assert_eq!(acme(Method::GET, &by_id).send().await.unwrap().status(), 401, "refused at once where revoked");
    while on_replica().await.unwrap().status() != 401 {
        assert!(revoked.elapsed() < Duration::from_secs(2), "the replica still accepts a revoked key after 2 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(admin.call(Method::DELETE, &format!("/admin/credentials/{key}"), None).await.0, 404);
    shutdown.trigger();
    let _ = query.await;

    // Export: the store's statements as NDJSON, exactly as stored, oldest first; filters apply.
    let export = admin.request(Method::GET, "/admin/export?store=acme").send().await.unwrap();
    assert_eq!(export.status(), 200);
    assert_eq!(export.headers()["content-type"], "application/x-ndjson");
    let text = export.text().await.unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let exported: Vec<&str> = lines.iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(exported, [id.as_str(), own.as_str()]);
    assert!(lines.iter().all(|s| s["stored"].is_string() && s["authority"].is_object()), "{text}");
    let agent = lrs_common::http::form::escape(r#"{"mbox":"mailto:mine@example.com"}"#);
    let filtered = admin.request(Method::GET, &format!("/admin/export?store=acme&agent={agent}")).send().await.unwrap();
    assert_eq!(filtered.text().await.unwrap().lines().count(), 1);
    assert_eq!(admin.request(Method::GET, "/admin/export").send().await.unwrap().status(), 400, "store is required");
    assert_eq!(stack.request(Method::GET, "/admin/export?store=acme").send().await.unwrap().status(), 403);

    // Deleting a store refuses its credentials and erases its rows; the other store keeps its own.
    let (_, cred) = admin.call(Method::POST, "/admin/credentials", Some(new("acme", json!(["all"])))).await;
    let (key2, secret2) = (cred["key"].as_str().unwrap().to_string(), cred["secret"].as_str().unwrap().to_string());
    assert_eq!(as_key(&stack, &base, Method::GET, &by_id, &key2, &secret2).send().await.unwrap().status(), 200);
    assert_eq!(admin.call(Method::DELETE, "/admin/stores/acme", None).await.0, 204);
    assert_eq!(as_key(&stack, &base, Method::GET, &by_id, &key2, &secret2).send().await.unwrap().status(), 401);
    assert_eq!(admin.call(Method::DELETE, &format!("/admin/stores/{}", stack.settings.dev_store), None).await.0, 409);
    assert_eq!(
        admin.call(Method::POST, "/admin/stores", Some(json!({"name": "acme"}))).await.0,
        409,
        "name stays taken"
    );
    assert_eq!(admin.call(Method::DELETE, "/admin/stores/acme", None).await.0, 204, "erasing again is allowed");
    assert_eq!(admin.call(Method::DELETE, "/admin/stores/nope", None).await.0, 404);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left: u64 =
            stack.clickhouse.query("SELECT count() FROM statements WHERE store = 'acme'").fetch_one().await.unwrap();
        if left == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "acme's statements still there after 60 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(stack.get_statement(&id).await.status(), 200, "the other store keeps its statement");
    stack.shutdown().await;
}

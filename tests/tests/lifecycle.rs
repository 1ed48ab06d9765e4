//! Statement lifecycle on the real pipeline: re-sent and conflicting ids, voiding in either order, atomic
//! requests, and attachments sent as multipart/mixed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use lrs_e2e::{synthetic_statement, ProcessorMode, Stack};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::Duration;

const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

fn voiding(target: &str) -> Value {
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "actor": {"mbox": "mailto:admin@example.com"},
        "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_id_is_a_no_op_and_a_different_statement_is_409() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    let s = synthetic_statement(1);
    let id = s["id"].as_str().expect("id").to_string();
    assert_eq!(stack.post_statements(&s).await.status(), 200);
    stack.wait_visible(std::slice::from_ref(&id), Duration::from_secs(20)).await;

    // The same statement again, with a different serialisation: accepted, nothing new stored.
    let mut again = s.clone();
    again["verb"]["display"] = json!({"fr": "terminé"});
    assert_eq!(stack.post_statements(&again).await.status(), 200, "display is not part of the comparison");
    let put =
        stack.request(Method::PUT, &format!("/xapi/statements?statementId={id}")).json(&s).send().await.expect("PUT");
    assert_eq!(put.status(), 204);

    // A different statement under that id: 409, for POST and PUT, alone or inside a batch.
    let mut other = s.clone();
    other["object"]["id"] = json!("http://example.com/other");
    let res = stack.post_statements(&other).await;
    assert_eq!(res.status(), 409);
    assert!(res.json::<Value>().await.expect("json")["message"].as_str().is_some_and(|m| m.contains(&id)));
    let put = stack
        .request(Method::PUT, &format!("/xapi/statements?statementId={id}"))
        .json(&other)
        .send()
        .await
        .expect("PUT");
    assert_eq!(put.status(), 409);
    let fresh = synthetic_statement(2);
    assert_eq!(stack.post_statements(&json!([fresh, other])).await.status(), 409);

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stack.stored_count().await, 1, "neither the no-ops nor the rejected batch stored anything");
    let stored: Value = stack.get_statement(&id).await.json().await.expect("json");
    assert_eq!(stored["object"]["id"], s["object"]["id"]);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voiding_works_in_either_order() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    // Target first, then the voiding statement.
    let a = synthetic_statement(10);
    let a_id = a["id"].as_str().expect("id").to_string();
    assert_eq!(stack.post_statements(&a).await.status(), 200);
    let void_a = voiding(&a_id);
    // Voiding statement first (a separate request, which may land on another partition), then its target.
    let b = synthetic_statement(11);
    let b_id = b["id"].as_str().expect("id").to_string();
    let void_b = voiding(&b_id);
    assert_eq!(stack.post_statements(&void_a).await.status(), 200);
    assert_eq!(stack.post_statements(&void_b).await.status(), 200);
    assert_eq!(stack.post_statements(&b).await.status(), 200);
    let all: Vec<String> = [&a_id, &b_id, void_a["id"].as_str().expect("id"), void_b["id"].as_str().expect("id")]
        .iter()
        .map(|s| s.to_string())
        .collect();
    stack.wait_visible(&all, Duration::from_secs(20)).await;

    for target in [&a_id, &b_id] {
        assert_eq!(stack.get_statement(target).await.status(), 404, "a voided statement is gone from statementId");
        let res = stack
            .request(Method::GET, &format!("/xapi/statements?voidedStatementId={target}"))
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.expect("json")["id"], json!(target));
    }
    // A voiding statement cannot be voided: it stays readable.
    let void_id = void_a["id"].as_str().expect("id").to_string();
    let void_void = voiding(&void_id);
    assert_eq!(stack.post_statements(&void_void).await.status(), 200);
    stack.wait_visible(&[void_void["id"].as_str().expect("id").to_string()], Duration::from_secs(20)).await;
    assert_eq!(stack.get_statement(&void_id).await.status(), 200);

    // Lists leave the voided statements out.
    let list: Value =
        stack.request(Method::GET, "/xapi/statements?limit=50").send().await.expect("GET").json().await.expect("json");
    let listed: Vec<&str> =
        list["statements"].as_array().expect("array").iter().filter_map(|s| s["id"].as_str()).collect();
    assert!(!listed.contains(&a_id.as_str()) && !listed.contains(&b_id.as_str()), "{listed:?}");
    assert!(listed.contains(&void_id.as_str()));
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_are_stored_and_served() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    let content = b"here is a simple attachment".to_vec();
    let sha2 = hex(&Sha256::digest(&content));
    let mut s = synthetic_statement(20);
    s["attachments"] = json!([{
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain; charset=ascii",
        "length": content.len(),
        "sha2": sha2
    }]);
    let id = s["id"].as_str().expect("id").to_string();

    // Without its content the statement is rejected.
    assert_eq!(stack.post_statements(&s).await.status(), 400);

    let boundary = "abcABC0123'()+_,-./:=?";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Type: application/json\r\n\r\n{s}\r\n").as_bytes());
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {sha2}\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(&content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = stack
        .request(Method::POST, "/xapi/statements")
        .header("Content-Type", format!("multipart/mixed; boundary=\"{boundary}\""))
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    stack.wait_visible(std::slice::from_ref(&id), Duration::from_secs(20)).await;

    let res = stack
        .request(Method::GET, &format!("/xapi/statements?statementId={id}&attachments=true"))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), 200);
    let ct = res.headers()["content-type"].to_str().expect("ascii").to_string();
    assert!(ct.starts_with("multipart/mixed"), "{ct}");
    let bytes = res.bytes().await.expect("body");
    assert!(bytes.windows(content.len()).any(|w| w == content.as_slice()), "the attachment content is served back");
    stack.shutdown().await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

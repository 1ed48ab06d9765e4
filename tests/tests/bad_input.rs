//! Bad input gets its 4xx with a JSON message and leaves nothing behind; records the processor cannot use
//! go to the dead-letter topic.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use lrs_e2e::{synthetic_statement, ProcessorMode, Stack};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_4xx_and_publish_nothing() {
    let stack = Stack::start_with(ProcessorMode::InProcess, |s| s.max_body_bytes = 64 * 1024).await;
    let url = format!("{}/xapi/statements", stack.base);
    let valid = synthetic_statement(0);
    let dup = synthetic_statement(1);

    let cases: Vec<(&str, reqwest::RequestBuilder, u16)> = vec![
        (
            "not JSON",
            stack
                .request(Method::POST, "/xapi/statements")
                .header("content-type", "application/json")
                .body("{\"actor\":"),
            400,
        ),
        ("a JSON scalar", stack.request(Method::POST, "/xapi/statements").json(&json!(42)), 400),
        ("an empty array", stack.request(Method::POST, "/xapi/statements").json(&json!([])), 400),
        (
            "no verb",
            stack
                .request(Method::POST, "/xapi/statements")
                .json(&json!({"actor": valid["actor"], "object": valid["object"]})),
            400,
        ),
        (
            "one bad statement in a batch",
            stack.request(Method::POST, "/xapi/statements").json(&json!([valid, {"actor": 1}])),
            400,
        ),
        ("duplicate ids in a batch", stack.request(Method::POST, "/xapi/statements").json(&json!([dup, dup])), 400),
        (
            "a bad id",
            stack.request(Method::POST, "/xapi/statements").json(
                &json!([{"id": "nope", "actor": valid["actor"], "verb": valid["verb"], "object": valid["object"]}]),
            ),
            400,
        ),
        ("no version header", stack.http.post(&url).basic_auth(lrs_e2e::KEY, Some(lrs_e2e::SECRET)).json(&valid), 400),
        (
            "an unknown version",
            stack
                .http
                .post(&url)
                .basic_auth(lrs_e2e::KEY, Some(lrs_e2e::SECRET))
                .header("X-Experience-API-Version", "0.9")
                .json(&valid),
            400,
        ),
        ("no credentials", stack.http.post(&url).header("X-Experience-API-Version", "1.0.3").json(&valid), 401),
        (
            "a wrong secret",
            stack
                .http
                .post(&url)
                .basic_auth(lrs_e2e::KEY, Some("wrong"))
                .header("X-Experience-API-Version", "1.0.3")
                .json(&valid),
            401,
        ),
        (
            "a body over the limit",
            stack
                .request(Method::POST, "/xapi/statements")
                .header("content-type", "application/json")
                .body(vec![b' '; 65 * 1024]),
            413,
        ),
        ("PUT without statementId", stack.request(Method::PUT, "/xapi/statements").json(&valid), 400),
        (
            "PUT with another id",
            stack.request(Method::PUT, &format!("/xapi/statements?statementId={}", uuid::Uuid::new_v4())).json(&valid),
            400,
        ),
        ("GET with a bad statementId", stack.request(Method::GET, "/xapi/statements?statementId=xyz"), 400),
    ];
    for (what, request, status) in cases {
        let res = request.send().await.expect("sent");
        assert_eq!(res.status().as_u16(), status, "{what}");
        let body: Value = res.json().await.unwrap_or_else(|e| panic!("{what}: JSON error body expected: {e}"));
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {body}");
    }
    assert_eq!(stack.published_records(), 0, "nothing of a rejected request reaches Kafka");

    // The one valid write after all that is the only thing stored.
    let ids: Vec<String> = stack.post_statements(&json!([synthetic_statement(3)])).await.json().await.expect("ids");
    stack.wait_visible(&ids, Duration::from_secs(20)).await;
    assert_eq!(stack.stored_ids().await.len(), 1);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_records_go_to_the_dead_letter_topic() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    let producer: FutureProducer =
        ClientConfig::new().set("bootstrap.servers", &stack.settings.kafka_brokers).create().expect("producer");
    let topic = stack.settings.statements_topic.clone();
    let garbage = rdkafka::message::OwnedHeaders::new()
        .insert(rdkafka::message::Header { key: lrs_common::kafka::STORE_HEADER, value: Some("default") });
    producer
        .send(FutureRecord::to(&topic).key("k1").payload("not a statement").headers(garbage), Duration::from_secs(10))
        .await
        .expect("produced");
    producer
        .send(FutureRecord::<str, str>::to(&topic).key("k2").payload("{}"), Duration::from_secs(10))
        .await
        .expect("produced");

    // The processor keeps going: a valid statement after the poison becomes visible.
    let ids: Vec<String> = stack.post_statements(&synthetic_statement(1)).await.json().await.expect("ids");
    stack.wait_visible(&ids, Duration::from_secs(20)).await;

    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &stack.settings.kafka_brokers)
        .set("group.id", format!("{}-dlq-reader", stack.settings.consumer_group))
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    consumer.subscribe(&[&stack.settings.dead_letter_topic]).expect("subscribe");
    let mut reasons = Vec::new();
    while reasons.len() < 2 {
        let message = tokio::time::timeout(Duration::from_secs(20), consumer.recv())
            .await
            .expect("dead letters arrive")
            .expect("message");
        let headers = message.headers().expect("headers");
        let reason = headers.iter().find(|h| h.key == lrs_common::kafka::DLQ_REASON_HEADER).and_then(|h| h.value);
        let source = headers.iter().find(|h| h.key == lrs_common::kafka::DLQ_SOURCE_HEADER).and_then(|h| h.value);
        assert!(source.is_some_and(|s| s.starts_with(topic.as_bytes())));
        reasons
            .push((message.key().map(<[u8]>::to_vec), String::from_utf8_lossy(reason.expect("reason")).into_owned()));
    }
    reasons.sort();
    assert_eq!(reasons[0].0.as_deref(), Some(&b"k1"[..]));
    assert!(reasons[0].1.contains("not a statement"), "{}", reasons[0].1);
    assert!(reasons[1].1.contains("lrs-store"), "{}", reasons[1].1);
    assert_eq!(stack.stored_ids().await.len(), 1);
    stack.shutdown().await;
}

//! Two stores with overlapping statement ids, documents, activities and agents: a credential of one never
//! sees, changes or learns of the other's data, through statements (by id, lists, `more` links, voiding, the
//! 409 check), documents, activities, agents, attachments and analytics.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use lrs_e2e::{ProcessorMode, Stack};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

const ACTIVITY: &str = "http://example.com/shared-activity";

struct Tenant<'a> {
    stack: &'a Stack,
    name: &'static str,
    key: String,
    secret: String,
}

impl<'a> Tenant<'a> {
    async fn create(stack: &'a Stack, name: &'static str) -> Tenant<'a> {
        let s = &stack.settings;
        let admin = |m: Method, p: &str| {
            stack.http.request(m, format!("{}{p}", stack.base)).basic_auth(&s.admin_key, Some(&s.admin_secret))
        };
        let res = admin(Method::POST, "/admin/stores").json(&json!({"name": name})).send().await.unwrap();
        assert_eq!(res.status(), 201);
        let body = json!({"store": name, "scopes": ["all", "analytics/read"]});
        let cred: Value =
            admin(Method::POST, "/admin/credentials").json(&body).send().await.unwrap().json().await.unwrap();
        let (key, secret) = (cred["key"].as_str().unwrap().into(), cred["secret"].as_str().unwrap().into());
        Tenant { stack, name, key, secret }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let url = if path.starts_with("http") { path.to_string() } else { format!("{}{path}", self.stack.base) };
        self.stack
            .http
            .request(method, url)
            .basic_auth(&self.key, Some(&self.secret))
            .header("X-Experience-API-Version", "1.0.3")
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let res = self.request(Method::GET, path).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, statements: Value) -> u16 {
        self.request(Method::POST, "/xapi/statements").json(&statements).send().await.unwrap().status().as_u16()
    }

    fn statement(&self, id: &str) -> Value {
        json!({"id": id, "actor": {"mbox": format!("mailto:{}@example.com", self.name), "name": format!("{} learner", self.name)},
               "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
               "object": {"id": ACTIVITY, "definition": {"name": {"en-US": format!("{} course", self.name)}}}})
    }
}

fn enc(s: &str) -> String {
    lrs_common::http::form::escape(s)
}

/// Every actor mbox in a statements list.
fn mboxes(list: &Value) -> Vec<String> {
    list["statements"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["actor"]["mbox"].as_str().map(String::from))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_never_meet() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    let a = Tenant::create(&stack, "alpha").await;
    let b = Tenant::create(&stack, "beta").await;

    // One id, two different statements: both accepted, each store keeps its own, and each store's own 409 check
    // still works.
    let shared = Uuid::new_v4().to_string();
    assert_eq!(a.post(a.statement(&shared)).await, 200);
    assert_eq!(b.post(b.statement(&shared)).await, 200);
    assert_eq!(b.post(a.statement(&shared)).await, 409, "within a store, first write wins");
    let by_id = format!("/xapi/statements?statementId={shared}");
    assert_eq!(a.get(&by_id).await.1["actor"]["mbox"], "mailto:alpha@example.com");
    assert_eq!(b.get(&by_id).await.1["actor"]["mbox"], "mailto:beta@example.com");

    // A few more of alpha's, then lists and `more` pages: beta sees only beta.
    for _ in 0..3 {
        assert_eq!(a.post(a.statement(&Uuid::new_v4().to_string())).await, 200);
    }
    let (_, page) = a.get("/xapi/statements?limit=1").await;
    assert_eq!(mboxes(&page), ["mailto:alpha@example.com"]);
    let more = page["more"].as_str().unwrap().to_string();
    let (status, foreign) = b.get(&more).await;
    assert!(status != 200 || mboxes(&foreign).iter().all(|m| m == "mailto:beta@example.com"), "{foreign}");
    let (_, all_b) = b.get("/xapi/statements").await;
    assert_eq!(mboxes(&all_b), ["mailto:beta@example.com"]);
    let agent = enc(r#"{"mbox":"mailto:alpha@example.com"}"#);
    let (_, filtered) = b.get(&format!("/xapi/statements?agent={agent}")).await;
    assert!(mboxes(&filtered).is_empty(), "beta's credential finds nothing of alpha's agent");

    // Voiding in beta voids beta's statement only.
    let void = json!({"actor": {"mbox": "mailto:beta@example.com"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                      "object": {"objectType": "StatementRef", "id": shared}});
    assert_eq!(b.post(void).await, 200);
    assert_eq!(b.get(&by_id).await.0, 404);
    assert_eq!(b.get(&format!("/xapi/statements?voidedStatementId={shared}")).await.0, 200);
    assert_eq!(a.get(&by_id).await.0, 200, "alpha's statement with that id is not voided");

    // Documents under the same activity, agent and id.
    let state = format!(
        "/xapi/activities/state?activityId={}&agent={}&stateId=bookmark",
        enc(ACTIVITY),
        enc(r#"{"mbox":"mailto:someone@example.com"}"#)
    );
    for t in [&a, &b] {
        let res = t.request(Method::PUT, &state).json(&json!({"page": t.name})).send().await.unwrap();
        assert_eq!(res.status(), 204);
    }
    assert_eq!(a.get(&state).await.1, json!({"page": "alpha"}));
    assert_eq!(b.get(&state).await.1, json!({"page": "beta"}));
    assert_eq!(b.request(Method::DELETE, &state).send().await.unwrap().status(), 204);
    assert_eq!(b.get(&state).await.0, 404);
    assert_eq!(a.get(&state).await.1, json!({"page": "alpha"}), "beta's delete leaves alpha's document");
    let profile = format!("/xapi/activities/profile?activityId={}&profileId=p", enc(ACTIVITY));
    let put = a.request(Method::PUT, &profile).header("If-None-Match", "*").json(&json!({"v": 1}));
    assert_eq!(put.send().await.unwrap().status(), 204);
    assert_eq!(b.get(&profile).await.0, 404);

    // Activities and agents: each store's own definitions and names.
    let (_, activity) = b.get(&format!("/xapi/activities?activityId={}", enc(ACTIVITY))).await;
    assert_eq!(activity["definition"]["name"]["en-US"], "beta course");
    let (_, person) = b.get(&format!("/xapi/agents?agent={agent}")).await;
    assert!(!person.to_string().contains("alpha learner"), "{person}");

    // Attachments: beta cannot reference alpha's content without sending it.
    let content = b"alpha's certificate";
    let attachment = |t: &Tenant| {
        let mut s = t.statement(&Uuid::new_v4().to_string());
        lrs_e2e::multipart::with_attachment(&mut s, content);
        s
    };
    let mut sent = a.statement(&Uuid::new_v4().to_string());
    let (content_type, body) = lrs_e2e::multipart::with_attachment(&mut sent, content);
    let res = a.request(Method::POST, "/xapi/statements").header("Content-Type", content_type).body(body);
    assert_eq!(res.send().await.unwrap().status(), 200);
    assert_eq!(b.post(attachment(&b)).await, 400, "a part beta never sent");

    // Analytics count each store's own.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, counts_a) = a.get("/analytics/aggregate?measures=statements").await;
        let (_, counts_b) = b.get("/analytics/aggregate?measures=statements").await;
        // alpha: 5 statements; beta: its first was voided by the second, which is not counted either.
        if counts_a["rows"][0][0] == 5 && counts_b["rows"][0][0] == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "analytics: alpha {counts_a}, beta {counts_b}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stack.shutdown().await;
}

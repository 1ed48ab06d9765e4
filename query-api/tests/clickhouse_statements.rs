//! `GET /xapi/statements` against a real ClickHouse (18.16 or newer), with rows written straight into the tables
//! the processor fills: the SQL runs, filters/voiding/StatementRefs/conflicts/paging give the right statements,
//! and a filtered page over about a million index rows costs milliseconds.
//!
//! Needs the ClickHouse server `make test` starts (`LRS_CLICKHOUSE_URL`). Its own database (`LRS_QUERY_IT_DATABASE`,
//! default a fresh `lrs_query_it_<random>`) is created and dropped afterwards; `LRS_QUERY_IT_STATEMENTS`, default
//! 50000, sets the load (about 6 index rows per statement; 200000 and `--release` for the latency figures);
//! `LRS_QUERY_IT_OPTIMIZE=1` merges the bulk's parts before measuring.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use axum::body::Body;
use axum::http::{Request, StatusCode};
use lrs_common::auth::{basic_header, Credentials};
use lrs_common::{clickhouse as ch, Settings};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;
use uuid::Uuid;

const STORE: &str = "it-store";
const DAY: i64 = 86_400_000;

#[derive(clickhouse::Row, serde::Serialize)]
struct StatementRow {
    store: String,
    #[serde(with = "clickhouse::serde::uuid")]
    id: Uuid,
    ver: u64,
    stored_ms: i64,
    verb_id: String,
    #[serde(with = "clickhouse::serde::uuid")]
    voided_id: Uuid,
    raw: String,
}

#[derive(clickhouse::Row, serde::Serialize, Clone)]
struct IndexRow {
    store: String,
    dim: &'static str,
    key: String,
    stored_ms: i64,
    #[serde(with = "clickhouse::serde::uuid")]
    id: Uuid,
    #[serde(with = "clickhouse::serde::uuid")]
    via: Uuid,
    ver: u64,
    voiding: u8,
    verb_id: String,
    agents: Vec<String>,
    related_agents: Vec<String>,
    activity: String,
    related_activities: Vec<String>,
    #[serde(with = "clickhouse::serde::uuid")]
    registration: Uuid,
}

#[derive(clickhouse::Row, serde::Serialize)]
struct VoidRow {
    store: String,
    #[serde(with = "clickhouse::serde::uuid")]
    target: Uuid,
    #[serde(with = "clickhouse::serde::uuid")]
    voiding_id: Uuid,
    ver: u64,
}

#[derive(clickhouse::Row, serde::Serialize)]
struct AttachmentRow {
    store: String,
    sha2: String,
    content_type: String,
    #[serde(with = "lrs_common::clickhouse::bytes")]
    content: Vec<u8>,
    stored_ms: i64,
}

/// A statement as the generator made it, with what the filters look at.
#[derive(Clone)]
struct Gen {
    id: Uuid,
    ver: u64,
    stored_ms: i64,
    verb: String,
    actor: String,
    instructor: String,
    activity: String,
    parent: String,
    registration: Uuid,
    raw: String,
    voiding: bool,
}

impl Gen {
    fn agents(&self) -> Vec<String> {
        vec![key(&self.actor)]
    }
    fn related_agents(&self) -> Vec<String> {
        vec![key(&self.actor), key(&self.instructor)]
    }
    fn related_activities(&self) -> Vec<String> {
        vec![self.activity.clone(), self.parent.clone()]
    }
    /// Index rows of `self`, reached through `target`'s keys and carrying its columns when `via` (the StatementRef
    /// rule), else its own.
    fn index_rows(&self, target: &Gen, via: Uuid) -> Vec<IndexRow> {
        let row = |dim: &'static str, key: String| IndexRow {
            store: STORE.into(),
            dim,
            key,
            stored_ms: self.stored_ms,
            id: self.id,
            via,
            ver: self.ver,
            voiding: self.voiding as u8,
            verb_id: target.verb.clone(),
            agents: target.agents(),
            related_agents: target.related_agents(),
            activity: target.activity.clone(),
            related_activities: target.related_activities(),
            registration: target.registration,
        };
        let mut rows = vec![];
        if via.is_nil() {
            rows.push(row("all", String::new()));
        }
        rows.push(row("verb", target.verb.clone()));
        rows.extend(target.related_agents().into_iter().map(|k| row("agent", k)));
        rows.extend(target.related_activities().into_iter().filter(|a| !a.is_empty()).map(|a| row("activity", a)));
        if !target.registration.is_nil() {
            rows.push(row("registration", target.registration.hyphenated().to_string()));
        }
        rows
    }
}

fn key(mbox: &str) -> String {
    format!("mbox:{mbox}")
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(((self.next() as u128) << 64 | self.next() as u128).to_be_bytes()).into_uuid()
    }
}

fn raw(g: &Gen, object: Value) -> String {
    let mut s = json!({
        "id": g.id, "actor": {"objectType": "Agent", "mbox": g.actor},
        "verb": {"id": g.verb, "display": {"en-US": "did", "fr": "a fait"}},
        "object": object,
        "context": {"instructor": {"mbox": g.instructor}, "contextActivities": {"parent": [{"id": g.parent}]}},
        "stored": xapi::time::format_ms(g.stored_ms), "timestamp": xapi::time::format_ms(g.stored_ms),
        "authority": {"objectType": "Agent", "account": {"homePage": "http://lrs.example", "name": "k"}},
        "version": "1.0.0"
    });
    if !g.registration.is_nil() {
        s["context"]["registration"] = json!(g.registration);
    }
    s.to_string()
}

fn generate(n: usize, now: i64) -> Vec<Gen> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let span = 30 * DAY;
    (0..n)
        .map(|i| {
            let a = rng.below(3000);
            let c = rng.below(500);
            let mut g = Gen {
                id: rng.uuid(),
                ver: u64::MAX - i as u64,
                // Four statements share each millisecond: the id breaks the tie.
                stored_ms: now - span + (i / 4) as i64 * (span / (n as i64 / 4 + 1)),
                verb: format!("http://example.com/verbs/v{}", rng.below(10)),
                actor: format!("mailto:u{a}@example.com"),
                instructor: format!("mailto:i{}@example.com", rng.below(50)),
                activity: format!("http://example.com/act/{c}"),
                parent: format!("http://example.com/course/{}", c % 20),
                registration: if i % 4 == 0 { Uuid::from_u128(0x5eed_0000 + (a % 100) as u128) } else { Uuid::nil() },
                raw: String::new(),
                voiding: false,
            };
            g.raw = raw(&g, json!({"id": g.activity}));
            g
        })
        .collect()
}

async fn insert<T>(client: &ch::Db, table: &str, rows: &[T])
where
    T: clickhouse::RowOwned + clickhouse::RowWrite + Send + Sync,
{
    for chunk in rows.chunks(100_000) {
        client.insert(table, chunk).await.expect("insert");
    }
}

struct Lrs {
    router: axum::Router,
    auth: String,
}

impl Lrs {
    async fn get(&self, uri: &str, version: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        // `more` links carry the public URL's path (a proxy's prefix); the router itself serves /xapi.
        let uri = uri.strip_prefix("/base").unwrap_or(uri);
        let req = Request::get(uri)
            .header("Authorization", &self.auth)
            .header("X-Experience-API-Version", version)
            .header("Accept-Language", "fr")
            .body(Body::empty())
            .expect("request");
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
        (parts.status, parts.headers, bytes.to_vec())
    }

    async fn json(&self, uri: &str) -> Value {
        let (status, headers, body) = self.get(uri, "1.0.3").await;
        assert_eq!(status, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&body));
        assert!(headers.contains_key("x-experience-api-consistent-through"));
        serde_json::from_slice(&body).expect("JSON")
    }

    /// Every statement id of a query, following `more`; checks the page order on the way.
    async fn all_pages(&self, first: &str, ascending: bool) -> (Vec<Uuid>, usize) {
        let mut ids = vec![];
        let mut uri = first.to_string();
        let mut pages = 0;
        let mut last_stored: Option<String> = None;
        loop {
            pages += 1;
            let v = self.json(&uri).await;
            for s in v["statements"].as_array().expect("array") {
                let stored = s["stored"].as_str().expect("stored").to_string();
                if let Some(prev) = &last_stored {
                    if ascending {
                        assert!(*prev <= stored, "ascending order broken: {prev} then {stored}");
                    } else {
                        assert!(*prev >= stored, "descending order broken: {prev} then {stored}");
                    }
                }
                last_stored = Some(stored);
                ids.push(Uuid::parse_str(s["id"].as_str().expect("id")).expect("uuid"));
            }
            let more = v["more"].as_str().expect("more").to_string();
            if more.is_empty() {
                return (ids, pages);
            }
            uri = more;
        }
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|c| {
            if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
                (c as char).to_string()
            } else {
                format!("%{c:02X}")
            }
        })
        .collect()
}

fn agent_param(mbox: &str) -> String {
    enc(&json!({"mbox": mbox}).to_string())
}

fn sorted(mut v: Vec<Uuid>) -> Vec<Uuid> {
    v.sort();
    v
}

async fn timed(lrs: &Lrs, label: &str, uri: &str, runs: usize) -> f64 {
    let mut ms = vec![];
    let mut n = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let v = lrs.json(uri).await;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        n = v["statements"].as_array().map_or(0, |a| a.len());
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    let p50 = ms[ms.len() / 2];
    eprintln!("{label:<58} {n:>4} statements  p50 {p50:>7.1} ms  max {:>7.1} ms", ms[ms.len() - 1]);
    p50
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_queries_on_clickhouse() {
    let database = std::env::var("LRS_QUERY_IT_DATABASE")
        .unwrap_or_else(|_| format!("lrs_query_it_{}", &Uuid::new_v4().simple().to_string()[..8]));
    let n: usize = std::env::var("LRS_QUERY_IT_STATEMENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let mut settings = Settings::from_env().expect("settings");
    settings.clickhouse_database = database.clone();
    let server = ch::server_client(&settings);
    server
        .query(&format!("DROP DATABASE IF EXISTS {}", ch::quote_ident(&database)))
        .execute()
        .await
        .expect("ClickHouse reachable");
    ch::migrate::apply(&server, &database).await.expect("migrate");
    let client = ch::db(&settings).with_timeout(Duration::from_secs(300));

    // ---- the bulk: n statements over 30 days ------------------------------------------------------------
    let now = lrs_common::now_ms();
    let gens = generate(n, now - DAY);
    let t = Instant::now();
    let statements: Vec<StatementRow> = gens
        .iter()
        .map(|g| StatementRow {
            store: STORE.into(),
            id: g.id,
            ver: g.ver,
            stored_ms: g.stored_ms,
            verb_id: g.verb.clone(),
            voided_id: Uuid::nil(),
            raw: g.raw.clone(),
        })
        .collect();
    insert(&client, "statements", &statements).await;
    let index: Vec<IndexRow> = gens.iter().flat_map(|g| g.index_rows(g, Uuid::nil())).collect();
    insert(&client, "statement_index", &index).await;
    eprintln!("inserted {n} statements, {} index rows in {:?}", index.len(), t.elapsed());
    if std::env::var("LRS_QUERY_IT_OPTIMIZE").is_ok_and(|v| v == "1") {
        // Steady state: the parts merged, as background merges leave them a while after the writes.
        for table in ["statements", "statement_index"] {
            client.query(&format!("OPTIMIZE TABLE {table} FINAL")).execute().await.expect("optimize");
        }
    }

    // ---- special cases, all under one verb ---------------------------------------------------------------
    let special = "http://example.com/verbs/special";
    let mut rng = Rng(42);
    let base = now - 3_600_000;
    let mk = |rng: &mut Rng, stored_ms: i64, verb: &str, ver: u64| {
        let mut g = Gen {
            id: rng.uuid(),
            ver,
            stored_ms,
            verb: verb.into(),
            actor: "mailto:special@example.com".into(),
            instructor: "mailto:teacher@example.com".into(),
            activity: "http://example.com/act/special".into(),
            parent: "http://example.com/course/special".into(),
            registration: Uuid::nil(),
            raw: String::new(),
            voiding: false,
        };
        g.raw = raw(&g, json!({"id": g.activity}));
        g
    };
    let plain = mk(&mut rng, base, special, 100);
    let target = mk(&mut rng, base + 1000, special, 100); // voided below
    let mut voiding = mk(&mut rng, base + 2000, xapi::VOIDED_VERB, 100);
    voiding.voiding = true;
    voiding.activity = String::new();
    voiding.raw = raw(&voiding, json!({"objectType": "StatementRef", "id": target.id}));
    let mut referrer = mk(&mut rng, base + 3000, "http://example.com/verbs/confirmed", 100);
    referrer.activity = String::new();
    referrer.actor = "mailto:confirmer@example.com".into();
    referrer.raw = raw(&referrer, json!({"objectType": "StatementRef", "id": plain.id}));
    // One id written twice: the first write (higher ver) wins; the later one must never show.
    let winner = mk(&mut rng, base + 4000, special, 200);
    let mut loser = winner.clone();
    loser.ver = 150;
    loser.stored_ms = base + 5000;
    loser.raw = raw(&loser, json!({"id": "http://example.com/act/loser"}));
    let mut with_attachment = mk(&mut rng, base + 6000, "http://example.com/verbs/attached", 100);
    let sha2 = "4f1d8a2b".repeat(8);
    let mut v: Value = serde_json::from_str(&with_attachment.raw).expect("json");
    v["attachments"] = json!([{"usageType": "http://example.com/u", "display": {"en-US": "a"}, "contentType": "text/plain", "length": 5, "sha2": sha2}]);
    with_attachment.raw = v.to_string();

    let specials = [&plain, &target, &voiding, &referrer, &winner, &loser, &with_attachment];
    let rows: Vec<StatementRow> = specials
        .iter()
        .map(|g| StatementRow {
            store: STORE.into(),
            id: g.id,
            ver: g.ver,
            stored_ms: g.stored_ms,
            verb_id: g.verb.clone(),
            voided_id: if g.voiding { target.id } else { Uuid::nil() },
            raw: g.raw.clone(),
        })
        .collect();
    insert(&client, "statements", &rows).await;
    let mut idx: Vec<IndexRow> = specials.iter().flat_map(|g| g.index_rows(g, Uuid::nil())).collect();
    idx.extend(voiding.index_rows(&target, target.id));
    idx.extend(referrer.index_rows(&plain, plain.id));
    insert(&client, "statement_index", &idx).await;
    insert(&client, "voids", &[VoidRow { store: STORE.into(), target: target.id, voiding_id: voiding.id, ver: 1 }])
        .await;
    insert(
        &client,
        "attachments",
        &[AttachmentRow {
            store: STORE.into(),
            sha2: sha2.clone(),
            content_type: "text/plain".into(),
            content: b"hello".to_vec(),
            stored_ms: base,
        }],
    )
    .await;

    let mut settings_for_app = settings.clone();
    settings_for_app.public_url = "http://lrs.example/base/".into();
    let creds = Credentials::new().with("k", "s", STORE, "http://lrs.example");
    let state = lrs_query::AppState::new(&settings_for_app, Arc::new(creds));
    let lrs = Lrs { router: lrs_query::xapi_router(state), auth: basic_header("k", "s") };

    // ---- voiding, StatementRefs, conflicting writes ---------------------------------------------------------
    let v = lrs.json(&format!("/xapi/statements?verb={}", enc(special))).await;
    let got: Vec<&str> = v["statements"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    let want = [winner.id, referrer.id, voiding.id, plain.id].map(|u| u.to_string());
    assert_eq!(got, want.iter().map(String::as_str).collect::<Vec<_>>(), "newest first; voided target left out");
    let winner_json = v["statements"].as_array().unwrap().iter().find(|s| s["id"] == json!(winner.id)).unwrap();
    assert_eq!(winner_json["object"]["id"], "http://example.com/act/special", "the first write wins");
    assert_eq!(v["more"], "");
    // The referrer matches an agent filter through its target (plain's actor), and by its own actor.
    let (ids, _) =
        lrs.all_pages(&format!("/xapi/statements?agent={}", agent_param("mailto:confirmer@example.com")), false).await;
    assert_eq!(ids, vec![referrer.id]);
    // statementId / voidedStatementId.
    let (status, headers, body) = lrs.get(&format!("/xapi/statements?statementId={}", target.id), "2.0.0").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{}", String::from_utf8_lossy(&body));
    assert!(headers.contains_key("x-experience-api-consistent-through"));
    let (status, headers, body) = lrs.get(&format!("/xapi/statements?voidedStatementId={}", target.id), "2.0.0").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, target.raw.as_bytes(), "exact: the stored bytes");
    assert_eq!(headers["last-modified"], xapi::time::format_http_date(target.stored_ms).as_str());
    let (status, ..) = lrs.get(&format!("/xapi/statements?voidedStatementId={}", plain.id), "2.0.0").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, body) = lrs.get(&format!("/xapi/statements?statementId={}", voiding.id), "2.0.0").await;
    assert_eq!(status, StatusCode::OK, "a voiding statement is served");
    assert_eq!(body, voiding.raw.as_bytes());
    let (_, _, body) = lrs.get(&format!("/xapi/statements?statementId={}", winner.id), "2.0.0").await;
    assert_eq!(body, winner.raw.as_bytes());
    // Formats.
    let v = lrs.json(&format!("/xapi/statements?statementId={}&format=ids", plain.id)).await;
    assert_eq!(v["verb"], json!({"id": special}));
    let v = lrs.json(&format!("/xapi/statements?statementId={}&format=canonical", plain.id)).await;
    assert_eq!(v["verb"]["display"], json!({"fr": "a fait"}), "Accept-Language: fr");
    // Attachments.
    let (status, headers, body) =
        lrs.get(&format!("/xapi/statements?statementId={}&attachments=true", with_attachment.id), "2.0.0").await;
    assert_eq!(status, StatusCode::OK);
    let ct = headers["content-type"].to_str().unwrap();
    let parts = xapi::multipart::parse(&xapi::multipart::boundary(ct).expect("boundary"), &body).expect("multipart");
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[1].header("x-experience-api-hash"), Some(sha2.as_str()));
    assert_eq!(parts[1].body, b"hello");
    let (status, headers, body) =
        lrs.get("/xapi/statements?verb=http%3A%2F%2Fexample.com%2Fverbs%2Fattached&attachments=true", "2.0.0").await;
    assert_eq!(status, StatusCode::OK);
    let ct = headers["content-type"].to_str().unwrap();
    let parts = xapi::multipart::parse(&xapi::multipart::boundary(ct).expect("boundary"), &body).expect("multipart");
    assert_eq!(parts.len(), 2);
    let first: Value = serde_json::from_slice(parts[0].body).expect("StatementResult");
    assert_eq!(first["statements"][0]["id"], json!(with_attachment.id));
    // Errors.
    let (status, headers, _) = lrs.get("/xapi/statements?LIMIT=1", "1.0.3").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(headers.contains_key("x-experience-api-consistent-through"));
    let (status, headers, _) = lrs.get("/xapi/statements", "0.9").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(headers.contains_key("x-experience-api-consistent-through"));

    // ---- filters and paging over the bulk, checked against the generator ---------------------------------
    let bulk = |pred: &dyn Fn(&Gen) -> bool| sorted(gens.iter().filter(|g| pred(g)).map(|g| g.id).collect());
    let a7 = "mailto:u7@example.com";
    let (ids, pages) = lrs.all_pages(&format!("/xapi/statements?agent={}&limit=7", agent_param(a7)), false).await;
    assert_eq!(ids.len(), HashSet::<_>::from_iter(ids.iter()).len(), "no statement twice");
    assert_eq!(sorted(ids.clone()), bulk(&|g| g.actor == a7));
    assert!(pages >= ids.len().div_ceil(7) && pages <= ids.len() / 7 + 1, "{pages} pages of 7 for {}", ids.len());
    assert!(lrs.json(&format!("/xapi/statements?agent={}&limit=2", agent_param(a7))).await["more"]
        .as_str()
        .unwrap()
        .starts_with("/base/xapi/statements?agent="));
    let (asc, _) =
        lrs.all_pages(&format!("/xapi/statements?agent={}&limit=9&ascending=true", agent_param(a7)), true).await;
    assert_eq!(asc.iter().rev().cloned().collect::<Vec<_>>(), ids, "ascending is the exact reverse");

    let teacher = "mailto:i3@example.com";
    let (ids, _) =
        lrs.all_pages(&format!("/xapi/statements?agent={}&related_agents=true", agent_param(teacher)), false).await;
    assert_eq!(sorted(ids), bulk(&|g| g.instructor == teacher));
    let (ids, _) = lrs.all_pages(&format!("/xapi/statements?agent={}", agent_param(teacher)), false).await;
    assert!(ids.is_empty(), "an instructor is not the actor or object");

    let course = "http://example.com/course/3";
    let (ids, _) = lrs
        .all_pages(
            &format!(
                "/xapi/statements?activity={}&related_activities=true&verb={}",
                enc(course),
                enc("http://example.com/verbs/v2")
            ),
            false,
        )
        .await;
    assert_eq!(sorted(ids), bulk(&|g| g.parent == course && g.verb.ends_with("/v2")));
    let act = "http://example.com/act/42";
    let (ids, _) = lrs.all_pages(&format!("/xapi/statements?activity={}", enc(act)), false).await;
    assert_eq!(sorted(ids), bulk(&|g| g.activity == act));

    let reg = Uuid::from_u128(0x5eed_0000 + 7);
    let (ids, _) = lrs.all_pages(&format!("/xapi/statements?registration={reg}&limit=50"), false).await;
    assert_eq!(sorted(ids), bulk(&|g| g.registration == reg));

    let since = now - DAY - 20 * DAY;
    let until = since + 2 * DAY;
    let q = format!(
        "/xapi/statements?verb={}&since={}&until={}&limit=500",
        enc("http://example.com/verbs/v5"),
        enc(&xapi::time::format_ms(since)),
        enc(&xapi::time::format_ms(until))
    );
    let (ids, pages) = lrs.all_pages(&q, false).await;
    assert_eq!(sorted(ids), bulk(&|g| g.verb.ends_with("/v5") && g.stored_ms > since && g.stored_ms <= until));
    eprintln!("verb+since+until: {pages} pages");
    let (ids, _) = lrs
        .all_pages(
            &format!(
                "/xapi/statements?since={}&until={}&ascending=true&limit=333",
                enc(&xapi::time::format_ms(since)),
                enc(&xapi::time::format_ms(since + DAY / 2))
            ),
            true,
        )
        .await;
    assert_eq!(sorted(ids), bulk(&|g| g.stored_ms > since && g.stored_ms <= since + DAY / 2));

    // Paging is stable while statements arrive: a new statement never shows on later pages.
    let first = lrs.json("/xapi/statements?limit=100").await;
    let late = mk(&mut rng, now, special, 100);
    insert(
        &client,
        "statements",
        &[StatementRow {
            store: STORE.into(),
            id: late.id,
            ver: late.ver,
            stored_ms: late.stored_ms,
            verb_id: late.verb.clone(),
            voided_id: Uuid::nil(),
            raw: late.raw.clone(),
        }],
    )
    .await;
    insert(&client, "statement_index", &late.index_rows(&late, Uuid::nil())).await;
    let second = lrs.json(first["more"].as_str().unwrap()).await;
    let firsts: HashSet<&str> =
        first["statements"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    for s in second["statements"].as_array().unwrap() {
        assert!(!firsts.contains(s["id"].as_str().unwrap()));
        assert_ne!(s["id"], json!(late.id));
    }
    let (asc1, _) = lrs
        .all_pages(
            &format!(
                "/xapi/statements?ascending=true&limit=500&since={}",
                enc(&xapi::time::format_ms(now - DAY - 60_000))
            ),
            true,
        )
        .await;
    assert!(asc1.contains(&late.id));

    // ---- latency --------------------------------------------------------------------------------------
    let mut report: HashMap<&str, f64> = HashMap::new();
    let cases: Vec<(&str, String)> = vec![
        ("all, limit 500 (newest)", "/xapi/statements".into()),
        ("all, limit 10", "/xapi/statements?limit=10".into()),
        ("all, ascending, limit 10", "/xapi/statements?ascending=true&limit=10".into()),
        ("agent (about 67 statements)", format!("/xapi/statements?agent={}", agent_param(a7))),
        (
            "agent, related_agents (about 4000)",
            format!("/xapi/statements?agent={}&related_agents=true", agent_param(teacher)),
        ),
        ("verb (about 20000), limit 500", format!("/xapi/statements?verb={}", enc("http://example.com/verbs/v5"))),
        (
            "verb + agent",
            format!("/xapi/statements?verb={}&agent={}", enc("http://example.com/verbs/v5"), agent_param(a7)),
        ),
        ("activity (about 400)", format!("/xapi/statements?activity={}", enc(act))),
        (
            "related_activities (about 10000), limit 100",
            format!("/xapi/statements?activity={}&related_activities=true&limit=100", enc(course)),
        ),
        ("registration", format!("/xapi/statements?registration={reg}")),
        (
            "since/until 2 days, limit 100",
            format!(
                "/xapi/statements?since={}&until={}&limit=100",
                enc(&xapi::time::format_ms(since)),
                enc(&xapi::time::format_ms(until))
            ),
        ),
        (
            "verb, format=ids, limit 100",
            format!("/xapi/statements?verb={}&format=ids&limit=100", enc("http://example.com/verbs/v5")),
        ),
        ("nothing matches (unknown verb)", format!("/xapi/statements?verb={}", enc("http://example.com/none"))),
        ("statementId", format!("/xapi/statements?statementId={}", plain.id)),
    ];
    for (label, uri) in &cases {
        report.insert(label, timed(&lrs, label, uri, 15).await);
    }
    let more = lrs.json(&format!("/xapi/statements?verb={}&limit=100", enc("http://example.com/verbs/v5"))).await
        ["more"]
        .as_str()
        .unwrap()
        .to_string();
    timed(&lrs, "verb, page 2 via more, limit 100", &more, 15).await;
    server.query(&format!("DROP DATABASE IF EXISTS {}", ch::quote_ident(&database))).execute().await.expect("drop");
}

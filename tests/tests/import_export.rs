//! Export and import end to end with `lrsctl`: a store of 100,000 statements (some voided) exported, imported
//! into a new store and exported again, every statement compared; imported twice (nothing stored twice);
//! invalid lines reported by number while the rest is imported; an interrupted import resumed from its state
//! file; gzip input; and statements pulled from another LRS's xAPI API following `more`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use futures::StreamExt;
use lrs_e2e::{ProcessorMode, Stack};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use uuid::Uuid;

const STATEMENTS: usize = 100_000;
const VOIDED: usize = 50;

fn admin(stack: &Stack, method: Method, path: &str) -> reqwest::RequestBuilder {
    let s = &stack.settings;
    stack.http.request(method, format!("{}{path}", stack.base)).basic_auth(&s.admin_key, Some(&s.admin_secret))
}

fn lrsctl(stack: &Stack, args: &[&str], stdout: Option<&Path>) -> Output {
    let mut cmd = Command::new(lrs_e2e::bin_dir().join("lrsctl"));
    cmd.args(args)
        .env("LRS_PUBLIC_URL", &stack.base)
        .env("LRS_ADMIN_KEY", &stack.settings.admin_key)
        .env("LRS_ADMIN_SECRET", &stack.settings.admin_secret);
    if let Some(path) = stdout {
        cmd.stdout(std::fs::File::create(path).unwrap());
    }
    let out = cmd.output().expect("lrsctl runs");
    eprintln!("lrsctl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn stored_in(stack: &Stack, store: &str) -> u64 {
    stack
        .clickhouse
        .query("SELECT uniqExact(id) FROM statements WHERE store = ?")
        .bind(store)
        .fetch_one()
        .await
        .unwrap()
}

async fn wait_stored(stack: &Stack, store: &str, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let have = stored_in(stack, store).await;
        if have >= n {
            assert_eq!(have, n, "store {store}");
            return;
        }
        assert!(Instant::now() < deadline, "store {store}: {have} of {n} after 600 s");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The statements of an NDJSON export, by id.
fn by_id(path: &Path) -> HashMap<String, Value> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|s| (s["id"].as_str().unwrap().to_string(), s))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_import_round_trip() {
    let stack = Stack::start(ProcessorMode::InProcess).await;
    let dir = std::env::temp_dir().join(format!("lrs-import-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    for store in ["source", "copy", "resumed", "pulled"] {
        let res = admin(&stack, Method::POST, "/admin/stores").json(&json!({"name": store})).send().await.unwrap();
        assert_eq!(res.status(), 201);
    }
    let cred: Value = admin(&stack, Method::POST, "/admin/credentials")
        .json(&json!({"store": "source", "scopes": ["all"], "label": "the other LRS"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (key, secret) = (cred["key"].as_str().unwrap().to_string(), cred["secret"].as_str().unwrap().to_string());

    // The source store: real statements, a few of them voided.
    let statements = lrs_e2e::real_statements(STATEMENTS);
    let mut batches: Vec<Value> = statements.chunks(1000).map(|c| Value::Array(c.to_vec())).collect();
    batches.push(Value::Array(
        statements[..VOIDED]
            .iter()
            .map(|s| {
                json!({"actor": {"mbox": "mailto:admin@example.com"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                       "object": {"objectType": "StatementRef", "id": s["id"]}})
            })
            .collect(),
    ));
    let started = Instant::now();
    let posted = futures::stream::iter(batches)
        .map(|body| {
            let req = stack
                .http
                .post(format!("{}/xapi/statements", stack.base))
                .basic_auth(&key, Some(&secret))
                .header("X-Experience-API-Version", "1.0.3")
                .json(&body);
            async move { req.send().await.unwrap().status() }
        })
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await;
    assert!(posted.iter().all(|s| s.is_success()), "{posted:?}");
    let total = (STATEMENTS + VOIDED) as u64;
    wait_stored(&stack, "source", total).await;
    eprintln!("source store of {total} statements written in {:.1}s", started.elapsed().as_secs_f64());

    // Export, import into a new store, export again: the same statements, voided ones included.
    let exported = dir.join("source.ndjson");
    assert!(lrsctl(&stack, &["export", "--store", "source"], Some(&exported)).status.success());
    let source = by_id(&exported);
    assert_eq!(source.len() as u64, total);
    let out = lrsctl(&stack, &["import", "--store", "copy", exported.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("{total} imported, 0 already stored, 0 rejected")), "{}", stderr(&out));
    wait_stored(&stack, "copy", total).await;
    let again = dir.join("copy.ndjson");
    assert!(lrsctl(&stack, &["export", "--store", "copy"], Some(&again)).status.success());
    let copy = by_id(&again);
    assert_eq!(copy.len(), source.len());
    for (id, s) in &source {
        assert_eq!(copy.get(id), Some(s), "statement {id}");
    }
    let voided = statements[0]["id"].as_str().unwrap();
    let res = admin(&stack, Method::GET, "/admin/export?store=copy").send().await.unwrap();
    assert!(res.text().await.unwrap().contains(voided));

    // Twice: nothing is stored twice.
    let out = lrsctl(&stack, &["import", "--store", "copy", exported.to_str().unwrap()], None);
    assert!(stderr(&out).contains(&format!("0 imported, {total} already stored")), "{}", stderr(&out));

    // Invalid lines are reported by number; the rest is imported.
    let mixed = dir.join("mixed.ndjson");
    let fresh = |n: usize| {
        let mut s = statements[n].clone();
        s["id"] = json!(Uuid::new_v4().to_string());
        s.to_string()
    };
    let lines = [
        fresh(1),
        r#"{"actor":{"mbox":"mailto:a@example.com"},"object":{"id":"http://x"}}"#.into(),
        fresh(2),
        "oops".into(),
        fresh(3),
    ];
    std::fs::write(&mixed, lines.join("\n")).unwrap();
    let out = lrsctl(&stack, &["import", "--store", "copy", mixed.to_str().unwrap()], None);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("line 2: ") && err.contains("verb") && err.contains("line 4: "), "{err}");
    assert!(err.contains("3 imported, 0 already stored, 2 rejected"), "{err}");

    // An interrupted import resumes after the last line its state file records; gzip input.
    let part = dir.join("part.ndjson");
    let text = std::fs::read_to_string(&exported).unwrap();
    std::fs::write(&part, text.lines().take(3000).collect::<Vec<_>>().join("\n")).unwrap();
    let state = dir.join("part.ndjson.resumed.import-state");
    std::fs::write(&state, json!({"store": "resumed", "line": 1000}).to_string()).unwrap();
    let out = lrsctl(&stack, &["import", "--store", "resumed", part.to_str().unwrap()], None);
    assert!(stderr(&out).contains("2000 imported, 0 already stored, 0 rejected, 1000 skipped"), "{}", stderr(&out));
    assert!(!state.exists(), "a finished import removes its state file");
    let gz = dir.join("part.ndjson.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(std::fs::read(&part).unwrap().as_slice()).unwrap();
    enc.finish().unwrap();
    let out = lrsctl(&stack, &["import", "--store", "resumed", gz.to_str().unwrap()], None);
    assert!(stderr(&out).contains("1000 imported, 2000 already stored"), "{}", stderr(&out));
    wait_stored(&stack, "resumed", 3000).await;

    // From another LRS through its xAPI API, following `more`, with a filter.
    let mut verbs: HashMap<&str, usize> = HashMap::new();
    for s in &statements[VOIDED..] {
        *verbs.entry(s["verb"]["id"].as_str().unwrap()).or_default() += 1;
    }
    let (verb, count) = verbs.into_iter().filter(|(_, n)| *n >= 1500).min_by_key(|(_, n)| *n).unwrap();
    let pulled_from = format!("{}/xapi", stack.base);
    let filter = format!("verb={verb}");
    let args = [
        "import",
        "--store",
        "pulled",
        "--from-lrs",
        &pulled_from,
        "--key",
        &key,
        "--secret",
        &secret,
        "--filter",
        &filter,
    ];
    let out = lrsctl(&stack, &args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("{count} imported")), "{}", stderr(&out));
    wait_stored(&stack, "pulled", count as u64).await;
    let pulled = dir.join("pulled.ndjson");
    assert!(lrsctl(&stack, &["export", "--store", "pulled"], Some(&pulled)).status.success());
    for (id, s) in by_id(&pulled) {
        assert_eq!(source.get(&id), Some(&s), "pulled statement {id}");
    }

    let _ = std::fs::remove_dir_all(&dir);
    stack.shutdown().await;
}

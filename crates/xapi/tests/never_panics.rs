//! Property tests: no input makes validation or `prepare_batch` panic, and whatever `prepare_batch` accepts
//! is a statement the processor's `extract` can read.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

mod common;

use proptest::prelude::*;
use serde_json::{json, Map, Number, Value};
use xapi::prepare::{prepare_batch, prepare_put, PrepareContext};
use xapi::{extract, validate, XapiVersion};

const KEYS: &[&str] = &[
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
    "objectType",
    "name",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
    "homePage",
    "member",
    "display",
    "definition",
    "description",
    "type",
    "moreInfo",
    "extensions",
    "interactionType",
    "correctResponsesPattern",
    "choices",
    "scale",
    "source",
    "target",
    "steps",
    "score",
    "scaled",
    "raw",
    "min",
    "max",
    "success",
    "completion",
    "response",
    "duration",
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "parent",
    "grouping",
    "category",
    "other",
    "revision",
    "platform",
    "language",
    "statement",
    "contextAgents",
    "contextGroups",
    "agent",
    "group",
    "relevantTypes",
    "usageType",
    "contentType",
    "length",
    "sha2",
    "fileUrl",
    "en-US",
    "http://example.com/ext",
];

const STRINGS: &[&str] = &[
    "",
    "Agent",
    "Group",
    "Activity",
    "SubStatement",
    "StatementRef",
    "contextAgent",
    "contextGroup",
    "choice",
    "likert",
    "matching",
    "performance",
    "sequencing",
    "true-false",
    "mailto:a@example.com",
    "mailto:",
    "mailto:@",
    "http://example.com/a",
    "http://[::1",
    "http://x:99999999999999999999/",
    "a:",
    "%",
    "%zz",
    "#",
    "x-",
    "en-US",
    "zh-z-aaa-z-bbb",
    "9dc99b37-e920-4a68-a066-917faca28949",
    "2024-01-02T03:04:05.678Z",
    "2024-01-02T03:04:05-00:00",
    "9999-12-31T23:59:60.999999999+23:59",
    "0000-01-01T00:00:00Z",
    "P",
    "PT",
    "P1Y2M3DT4H5M6.7S",
    "P4W",
    "1.0.0",
    "2.0.0",
    "1.0.",
    "text/plain",
    "http://adlnet.gov/expapi/verbs/voided",
    "http://adlnet.gov/expapi/attachments/signature",
    "\u{0}",
    "\u{202E}",
    "é",
    "\u{10FFFF}",
    "[,]",
    "{lang=en}",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        prop::sample::select(STRINGS).prop_map(|s| Value::String(s.to_string())),
        ".{0,24}".prop_map(Value::String),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![3 => prop::sample::select(KEYS).prop_map(str::to_string), 1 => ".{0,12}"]
}

fn arb_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// JSON pointers into (or just below) the base statement, where mutations land.
const POINTERS: &[&str] = &[
    "/id",
    "/actor",
    "/actor/objectType",
    "/actor/mbox",
    "/actor/member",
    "/actor/account",
    "/verb",
    "/verb/id",
    "/verb/display",
    "/object",
    "/object/objectType",
    "/object/id",
    "/object/definition",
    "/object/definition/name",
    "/object/definition/interactionType",
    "/object/definition/choices",
    "/object/definition/correctResponsesPattern",
    "/object/actor",
    "/object/object",
    "/object/context",
    "/result",
    "/result/score",
    "/result/score/raw",
    "/result/duration",
    "/context",
    "/context/contextActivities",
    "/context/contextActivities/parent",
    "/context/instructor",
    "/context/team",
    "/context/contextAgents",
    "/context/contextGroups",
    "/context/statement",
    "/context/revision",
    "/timestamp",
    "/stored",
    "/authority",
    "/authority/member",
    "/version",
    "/attachments",
    "/attachments/0",
    "/attachments/0/length",
    "/extra",
];

/// Sets `value` at `pointer`, creating objects on the way; silently skips impossible paths.
fn put(root: &mut Value, pointer: &str, value: Value) {
    let tokens: Vec<&str> = pointer.split('/').skip(1).collect();
    let Some((last, parents)) = tokens.split_last() else { return };
    let mut at = root;
    for t in parents {
        at = match at {
            Value::Object(m) => m.entry(t.to_string()).or_insert_with(|| json!({})),
            Value::Array(items) => match t.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(v) => v,
                None => return,
            },
            _ => return,
        };
    }
    match at {
        Value::Object(m) => {
            m.insert(last.to_string(), value);
        }
        Value::Array(items) => {
            if let Some(slot) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *slot = value;
            } else {
                items.push(value);
            }
        }
        _ => {}
    }
}

fn mutated_statement() -> impl Strategy<Value = Value> {
    let edit = (prop::sample::select(POINTERS), arb_json());
    (prop::collection::vec(edit, 1..5), any::<bool>()).prop_map(|(edits, sub)| {
        let mut s = common::stmt([]);
        if sub {
            s["object"] = json!({"objectType": "SubStatement", "actor": {"mbox": "mailto:b@example.com"},
                "verb": {"id": "http://example.com/v"}, "object": {"id": "http://example.com/a"}});
        }
        for (pointer, value) in edits {
            put(&mut s, pointer, value);
        }
        s
    })
}

fn check_all(bytes: &[u8]) {
    let authority = json!({"objectType": "Agent", "account": {"homePage": "http://lrs.example.com", "name": "key"}});
    for version in [XapiVersion::V1_0_3, XapiVersion::V2_0_0] {
        let ctx = PrepareContext { version, stored_ms: 1_700_000_000_000, authority: &authority };
        if let Ok(prepared) = prepare_batch(bytes, &ctx) {
            for p in prepared {
                if let Err(e) = extract(&p.payload) {
                    panic!("accepted statement cannot be extracted ({e}): {}", String::from_utf8_lossy(&p.payload));
                }
            }
        }
        let _ = prepare_put(bytes, uuid::Uuid::nil(), &ctx);
    }
}

fn check_value(v: &Value) {
    for version in [XapiVersion::V1_0_3, XapiVersion::V2_0_0] {
        if let Err(e) = validate::statement(v, version) {
            // The path always points into the statement: it is empty, a required property, or starts with a key
            // the statement has.
            let within =
                |k: &str| e.path == k || e.path.starts_with(&format!("{k}.")) || e.path.starts_with(&format!("{k}["));
            let keys_ok = v.as_object().is_some_and(|m| m.keys().any(|k| within(k)));
            assert!(e.path.is_empty() || keys_ok || ["actor", "verb", "object"].contains(&e.path.as_str()), "{e}");
        }
    }
    check_all(&serde_json::to_vec(v).unwrap_or_default());
    check_all(&serde_json::to_vec(&json!([v, v])).unwrap_or_default());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_all(&bytes);
    }

    #[test]
    fn corrupted_statement_bytes_never_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
        let mut bytes = serde_json::to_vec(&common::stmt([])).unwrap_or_default();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        check_all(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        check_value(&v);
    }

    #[test]
    fn mutated_statements_never_panic(v in mutated_statement()) {
        check_value(&v);
    }
}

#[test]
fn deeply_nested_input_is_an_error_not_a_crash() {
    let authority = json!({});
    let ctx = PrepareContext { version: XapiVersion::V1_0_3, stored_ms: 0, authority: &authority };
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(prepare_batch(deep.as_bytes(), &ctx).is_err());
    let deep_ext = format!(
        r#"{{"actor":{{"mbox":"mailto:a@b.c"}},"verb":{{"id":"http://x/v"}},"object":{{"id":"http://x/a"}},"result":{{"extensions":{{"http://x/e":{}{}}}}}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert!(prepare_batch(deep_ext.as_bytes(), &ctx).is_err());
}

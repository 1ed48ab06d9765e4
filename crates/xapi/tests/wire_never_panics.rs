//! Property tests for the request/response helpers: no input makes the multipart reader, the comparison, the
//! `format` rewrites or the signature check panic, and what `build` writes `parse` reads back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use proptest::prelude::*;
use serde_json::{Map, Value};
use xapi::{compare, format, multipart, signature};

const KEYS: &[&str] = &[
    "actor",
    "verb",
    "object",
    "context",
    "result",
    "duration",
    "timestamp",
    "id",
    "objectType",
    "member",
    "mbox",
    "definition",
    "display",
    "name",
    "contextActivities",
    "parent",
    "attachments",
    "sha2",
    "Group",
    "SubStatement",
    "StatementRef",
    "Activity",
    "en-US",
    "choices",
    "description",
    "agent",
    "contextAgents",
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(KEYS).prop_map(Value::from),
        "[a-zA-Z0-9:.@ -]{0,12}".prop_map(Value::from),
        prop::sample::select(&["PT1.2345S", "P1DT0.99999S", "2024-01-01T00:00:00Z", "mailto:A@B.C"][..])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|entries| Value::Object(
                entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>()
            )),
        ]
    })
}

proptest! {
    #[test]
    fn comparison_and_formats_never_panic(a in json(), b in json(), lang in "[a-zA-Z;=.,*0-9 -]{0,20}") {
        let _ = compare::fingerprint(&a);
        prop_assert!(compare::same_statement(&a, &a));
        prop_assert_eq!(compare::same_statement(&a, &b), compare::same_statement(&b, &a));
        // Canonicalising twice changes nothing more.
        let once = compare::comparable(&a);
        prop_assert_eq!(compare::fingerprint(&once), compare::fingerprint(&a));
        let _ = format::ids_format(&a);
        let _ = format::canonical_format(&a, &lang);
    }

    #[test]
    fn multipart_reader_never_panics(body in prop::collection::vec(prop::sample::select(&b"-ab\r\n:XY "[..]), 0..200),
                                     content_type in "[a-z/;= \"-]{0,40}") {
        let _ = multipart::boundary(&content_type);
        if let Ok(parts) = multipart::parse("ab", &body) {
            let _ = multipart::statements_part(&parts);
            let _ = multipart::attachments_from_parts(&[], &parts);
        }
    }

    #[test]
    fn build_then_parse_round_trips(contents in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 1..4)) {
        let slices: Vec<&[u8]> = contents.iter().map(Vec::as_slice).collect();
        let boundary = multipart::choose_boundary(&slices);
        let parts: Vec<(multipart::Headers, &[u8])> = slices.iter().map(|c| (vec![("X-N".to_string(), "1".to_string())], *c)).collect();
        let body = multipart::build(&boundary, &parts);
        let parsed = multipart::parse(&boundary, &body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.len(), slices.len());
        for (p, c) in parsed.iter().zip(&slices) {
            prop_assert_eq!(p.body, *c);
        }
    }

    #[test]
    fn signature_check_never_panics(statement in json(), jws in "[A-Za-z0-9_.=-]{0,80}") {
        prop_assert!(signature::verify_signed(&statement, jws.as_bytes(), "application/octet-stream").is_err());
    }
}

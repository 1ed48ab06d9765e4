use super::*;
use serde_json::json;

fn statement() -> Value {
    json!({
        "id": "9dc99b37-e920-4a68-a066-917faca28949",
        "actor": {"objectType": "Agent", "name": "Alice", "mbox": "mailto:alice@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": "http://example.com/course",
            "definition": {"name": {"en-US": "Course"}}},
        "result": {"duration": "PT1H2M3.45S", "score": {"scaled": 0.9}},
        "context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "contextActivities": {"parent": [{"id": "http://example.com/parent"}]}},
        "timestamp": "2024-05-04T17:00:00.000Z"
    })
}

/// Applies `change` to a copy of the standard statement.
fn with(change: impl FnOnce(&mut Value)) -> Value {
    let mut s = statement();
    change(&mut s);
    s
}

#[test]
fn identical_statements_match_and_share_a_fingerprint() {
    assert!(same_statement(&statement(), &statement()));
    assert_eq!(fingerprint(&statement()), fingerprint(&statement()));
}

#[test]
fn fingerprint_is_stable_across_builds() {
    // Pinned: a change here breaks every stored fingerprint, so it must be deliberate.
    assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(
        fingerprint(&json!({"actor": {"mbox": "mailto:a@b.c"}})),
        fnv1a(br#"{"actor":{"mbox":"mailto:a@b.c"}}"#)
    );
}

#[test]
fn key_order_and_whitespace_do_not_matter() {
    let text = r#"{ "timestamp":"2024-05-04T17:00:00.000Z","context":{"contextActivities":{"parent":[{"id":"http://example.com/parent"}]},"registration":"ec531277-b57b-4c15-8d91-d292c5b2b8f7"},
        "result":{"score":{"scaled":0.9},"duration":"PT1H2M3.45S"}, "object":{"id":"http://example.com/course","objectType":"Activity"},
        "verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"actor":{"mbox":"mailto:alice@example.com","name":"Alice","objectType":"Agent"},
        "id":"9dc99b37-e920-4a68-a066-917faca28949"}"#;
    let reordered: Value = serde_json::from_str(text).expect("json");
    assert_eq!(fingerprint(&reordered), fingerprint(&statement()));
}

#[test]
fn lrs_properties_are_ignored() {
    let stored = with(|s| {
        s["stored"] = json!("2030-01-01T00:00:00Z");
        s["authority"] = json!({"mbox": "mailto:lrs@example.com"});
        s["version"] = json!("1.0.3");
    });
    assert!(same_statement(&stored, &statement()));
    assert_eq!(fingerprint(&stored), fingerprint(&statement()));
}

#[test]
fn an_assigned_id_or_timestamp_is_ignored_only_when_one_side_lacks_it() {
    let bare = with(|s| {
        s.as_object_mut().map(|m| m.remove("id"));
        s.as_object_mut().map(|m| m.remove("timestamp"));
    });
    assert!(same_statement(&bare, &statement()));
    assert!(same_statement(&statement(), &bare));
    let other_id = with(|s| s["id"] = json!("54f42ca3-a826-4af9-935d-7e7b853a6c49"));
    assert!(!same_statement(&other_id, &statement()));
    let other_time = with(|s| s["timestamp"] = json!("2024-05-04T17:00:01Z"));
    assert!(!same_statement(&other_time, &statement()));
    assert_ne!(fingerprint(&other_time), fingerprint(&statement()));
}

#[test]
fn timestamps_compare_as_instants_to_the_millisecond() {
    for ts in ["2024-05-04T12:00:00-05:00", "2024-05-04T17:00:00Z", "2024-05-04T17:00:00.0004+00:00"] {
        let s = with(|s| s["timestamp"] = json!(ts));
        assert!(same_statement(&s, &statement()), "{ts}");
        assert_eq!(fingerprint(&s), fingerprint(&statement()), "{ts}");
    }
}

#[test]
fn definitions_and_verb_display_are_not_part_of_the_statement() {
    let s = with(|s| {
        s["verb"]["display"] = json!({"fr-FR": "a terminé"});
        s["object"]["definition"] = json!({"name": {"en-GB": "Another name"}});
        s["context"]["contextActivities"]["parent"][0]["definition"] = json!({"type": "http://example.com/t"});
    });
    assert!(same_statement(&s, &statement()));
}

#[test]
fn group_members_are_unordered() {
    let a = json!({"mbox": "mailto:a@example.com"});
    let b = json!({"mbox": "mailto:b@example.com"});
    let ab = with(|s| s["actor"] = json!({"objectType": "Group", "member": [a, b]}));
    let ba = with(|s| s["actor"] = json!({"objectType": "Group", "member": [b, a]}));
    assert!(same_statement(&ab, &ba));
    assert_eq!(fingerprint(&ab), fingerprint(&ba));
    // Other arrays keep their order.
    let p1 = json!({"id": "http://example.com/p1"});
    let p2 = json!({"id": "http://example.com/p2"});
    let order1 = with(|s| s["context"]["contextActivities"]["parent"] = json!([p1, p2]));
    let order2 = with(|s| s["context"]["contextActivities"]["parent"] = json!([p2, p1]));
    assert!(!same_statement(&order1, &order2));
}

#[test]
fn case_insensitive_values() {
    let s = with(|s| {
        s["id"] = json!("9DC99B37-E920-4A68-A066-917FACA28949");
        s["actor"]["mbox"] = json!("MAILTO:alice@EXAMPLE.com");
        s["context"]["registration"] = json!("EC531277-B57B-4C15-8D91-D292C5B2B8F7");
    });
    assert!(same_statement(&s, &statement()));
    // The local part of an address is case-sensitive.
    let other = with(|s| s["actor"]["mbox"] = json!("mailto:Alice@example.com"));
    assert!(!same_statement(&other, &statement()));
    let sha = |h: &str| json!({"actor": {"mbox_sha1sum": h}, "verb": {"id": "http://x.com/v"}, "object": {"id": "http://x.com/a"}});
    assert!(same_statement(&sha("ABCDEF0123"), &sha("abcdef0123")));
    let reference = |id: &str| with(|s| s["object"] = json!({"objectType": "StatementRef", "id": id}));
    assert!(same_statement(
        &reference("54F42CA3-A826-4AF9-935D-7E7B853A6C49"),
        &reference("54f42ca3-a826-4af9-935d-7e7b853a6c49")
    ));
}

#[test]
fn single_context_activity_equals_an_array_of_one() {
    let single = with(|s| s["context"]["contextActivities"]["parent"] = json!({"id": "http://example.com/parent"}));
    assert!(same_statement(&single, &statement()));
    assert_eq!(fingerprint(&single), fingerprint(&statement()));
}

#[test]
fn durations_compare_to_the_hundredth_of_a_second() {
    let d = |text: &str| with(|s| s["result"]["duration"] = json!(text));
    assert!(same_statement(&d("PT1H2M3.4567S"), &d("PT1H2M3.45S")));
    assert!(same_statement(&d("P1DT12H36M0.1237S"), &d("P1DT12H36M0.12S")));
    assert!(same_statement(&d("PT3.10S"), &d("PT3.1S")));
    assert!(same_statement(&d("PT3.00S"), &d("PT3S")));
    assert!(!same_statement(&d("PT3.13S"), &d("PT3.12S")), "truncation, not rounding");
    assert!(!same_statement(&d("PT60S"), &d("PT1M")), "otherwise compared as strings");
    let sub = |text: &str| {
        with(|s| {
            s["object"] = json!({"objectType": "SubStatement", "actor": {"mbox": "mailto:b@example.com"},
                "verb": {"id": "http://x.com/v"}, "object": {"id": "http://x.com/a"}, "result": {"duration": text}})
        })
    };
    assert!(same_statement(&sub("PT0.129S"), &sub("PT0.12S")));
}

#[test]
fn duration_canonical_form() {
    for (input, expected) in [
        ("PT4H35M59.14S", "PT4H35M59.14S"),
        ("P16559.14S", "P16559.14S"),
        ("PT0,5S", "PT0.5S"),
        ("PT1.009S", "PT1S"),
        ("P1Y", "P1Y"),
        ("P0.5Y", "P0.5Y"),
        ("PT.5S", "PT.5S"),
        ("PT1.2.3S", "PT1.2.3S"),
        ("S", "S"),
        ("", ""),
        ("PTéS", "PTéS"),
    ] {
        assert_eq!(duration(input), expected, "{input}");
    }
}

#[test]
fn real_differences_count() {
    type Change = Box<dyn Fn(&mut Value)>;
    let changes: Vec<Change> = vec![
        Box::new(|s| s["actor"]["name"] = json!("Bob")),
        Box::new(|s| s["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/attempted")),
        Box::new(|s| s["object"]["id"] = json!("http://example.com/other")),
        Box::new(|s| s["object"]["id"] = json!("HTTP://example.com/course")),
        Box::new(|s| s["result"]["score"]["scaled"] = json!(0.8)),
        Box::new(|s| s["result"]["score"]["scaled"] = json!(1)),
        Box::new(|s| s["result"]["success"] = json!(true)),
        Box::new(|s| s["context"]["extensions"] = json!({"http://example.com/e": 1})),
        Box::new(|s| s["attachments"] = json!([])),
    ];
    for (i, change) in changes.iter().enumerate() {
        let mut s = statement();
        change(&mut s);
        assert!(!same_statement(&s, &statement()), "change {i}");
        assert_ne!(fingerprint(&s), fingerprint(&statement()), "change {i}");
    }
}

#[test]
fn strings_are_escaped_unambiguously() {
    let a = json!({"k": "a\",\"b"});
    let b = json!({"k": "a", "b": ""});
    assert_ne!(canonical_json(&a), canonical_json(&b));
    assert_eq!(canonical_json(&json!({"k": "\u{1}\\\n"})), br#"{"k":"\u0001\\\u000a"}"#.to_vec());
}

#[test]
fn any_json_is_accepted() {
    for v in [json!(null), json!(3), json!("x"), json!([{"actor": 1}]), json!({"actor": {"member": 5}, "result": 1})] {
        let _ = fingerprint(&v);
        assert!(same_statement(&v, &v));
    }
}

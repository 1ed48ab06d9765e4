use super::*;

/// The HTTP status a gateway answers for a decision, to keep these tests close to the specification's words.
trait Status {
    fn status(&self) -> u16;
}

impl Status for Decision {
    fn status(&self) -> u16 {
        match self {
            Decision::Reject(r) => match r.refusal {
                Refusal::BadRequest => 400,
                Refusal::Conflict => 409,
                Refusal::PreconditionFailed => 412,
            },
            _ => 204,
        }
    }
}

fn cmd(op: Op, kind: Kind, version: &str) -> Command {
    Command {
        id: uuid::Uuid::nil(),
        op,
        key: DocKey {
            kind,
            activity_id: "http://example.com/a".into(),
            agent_key: "mbox:mailto:a@example.com".into(),
            registration: String::new(),
            doc_id: "d".into(),
        },
        version: version.into(),
        if_match: None,
        if_none_match: None,
        content_type: "application/json".into(),
        at_ms: 1000,
    }
}

fn json_doc(s: &str) -> Document {
    Document::new("application/json", s.as_bytes().to_vec(), 1)
}

fn written(d: Decision) -> String {
    match d {
        Decision::Write(doc) => String::from_utf8(doc.content).expect("utf8"),
        other => panic!("expected a write, got {other:?}"),
    }
}

#[test]
fn etag_is_quoted_sha1_of_the_bytes() {
    assert_eq!(etag(b"abc"), "\"a9993e364706816aba3e25717850c26c9cd0d89d\"");
    assert_eq!(Document::new("", b"x".to_vec(), 0).content_type, "application/octet-stream");
}

#[test]
fn post_merges_top_level_properties() {
    let existing = json_doc(r#"{"a":1,"b":{"x":1},"c":3}"#);
    let merged = written(decide(&cmd(Op::Post, Kind::State, "1.0.3"), br#"{"b":{"y":2},"d":4}"#, Some(&existing)));
    assert_eq!(merged, r#"{"a":1,"b":{"y":2},"c":3,"d":4}"#);
}

#[test]
fn post_refuses_non_json_either_side() {
    let existing = json_doc(r#"{"a":1}"#);
    let mut c = cmd(Op::Post, Kind::State, "2.0.0");
    assert_eq!(decide(&c, b"[1]", Some(&existing)).status(), 400, "posted JSON is not an object");
    assert_eq!(decide(&c, b"{", Some(&existing)).status(), 400, "posted JSON does not parse");
    assert_eq!(decide(&c, b"[1]", None).status(), 400, "not an object even for a new document");
    c.content_type = "text/plain".into();
    assert_eq!(decide(&c, b"abc", Some(&existing)).status(), 400, "posted is not JSON");
    assert_eq!(written(decide(&c, b"abc", None)), "abc", "a new non-JSON document is stored as is");
    let binary = Document::new("application/octet-stream", vec![0, 1, 2], 1);
    c.content_type = "application/json".into();
    assert_eq!(decide(&c, b"{}", Some(&binary)).status(), 400, "existing is not JSON");
}

#[test]
fn put_stores_bytes_and_content_type() {
    let mut c = cmd(Op::Put, Kind::State, "1.0.3");
    c.content_type = "image/png".into();
    match decide(&c, &[0xff, 0, 1], None) {
        Decision::Write(d) => {
            assert_eq!(d.content, vec![0xff, 0, 1]);
            assert_eq!(d.content_type, "image/png");
            assert_eq!(d.updated_ms, 1000);
            assert_eq!(d.etag, etag(&[0xff, 0, 1]));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn if_match() {
    let existing = json_doc("{}");
    let mut c = cmd(Op::Put, Kind::AgentProfile, "1.0.3");
    c.if_match = Some(existing.etag.clone());
    assert_eq!(decide(&c, b"{}", Some(&existing)).status(), 204);
    c.if_match = Some(format!("\"nope\", {}", existing.etag));
    assert_eq!(decide(&c, b"{}", Some(&existing)).status(), 204, "any tag of the list");
    c.if_match = Some("\"1234\"".into());
    assert_eq!(decide(&c, b"{}", Some(&existing)).status(), 412);
    c.if_match = Some("*".into());
    assert_eq!(decide(&c, b"{}", Some(&existing)).status(), 204);
    assert_eq!(decide(&c, b"{}", None).status(), 412, "If-Match: * needs a document");
    let mut d = cmd(Op::Delete, Kind::State, "2.0.0");
    d.if_match = Some("\"1234\"".into());
    assert_eq!(
        decide(&d, b"", Some(&existing)),
        Decision::Reject(Rejection::new(
            Refusal::PreconditionFailed,
            "If-Match does not match the current document's ETag"
        ))
    );
    d.if_match = Some(existing.etag.clone());
    assert_eq!(decide(&d, b"", Some(&existing)), Decision::Delete);
}

#[test]
fn if_none_match() {
    let existing = json_doc("{}");
    let mut c = cmd(Op::Put, Kind::ActivityProfile, "1.0.3");
    c.if_none_match = Some("*".into());
    assert_eq!(decide(&c, b"{}", None).status(), 204);
    assert_eq!(decide(&c, b"{}", Some(&existing)).status(), 412);
    c.if_none_match = Some("\"other\"".into());
    assert_eq!(decide(&c, b"{}", Some(&existing)).status(), 204);
    c.if_none_match = Some(existing.etag.clone());
    assert_eq!(decide(&c, b"{}", Some(&existing)).status(), 412);
}

#[test]
fn put_without_preconditions_per_version_and_resource() {
    let existing = json_doc("{}");
    for kind in [Kind::State, Kind::ActivityProfile, Kind::AgentProfile] {
        assert_eq!(decide(&cmd(Op::Put, kind, "2.0.0"), b"{}", Some(&existing)).status(), 409, "{kind:?}");
        assert_eq!(decide(&cmd(Op::Put, kind, "2.0.0"), b"{}", None).status(), 204, "{kind:?}");
    }
    assert_eq!(decide(&cmd(Op::Put, Kind::State, "1.0.3"), b"{}", Some(&existing)).status(), 204);
    assert_eq!(decide(&cmd(Op::Put, Kind::State, "1.0.3"), b"{}", None).status(), 204);
    for kind in [Kind::ActivityProfile, Kind::AgentProfile] {
        assert_eq!(decide(&cmd(Op::Put, kind, "1.0.3"), b"{}", Some(&existing)).status(), 409);
        assert_eq!(decide(&cmd(Op::Put, kind, "1.0.3"), b"{}", None).status(), 400);
    }
    // POST and DELETE need no precondition.
    assert_eq!(decide(&cmd(Op::Post, Kind::AgentProfile, "2.0.0"), b"{}", Some(&existing)).status(), 204);
    assert_eq!(decide(&cmd(Op::Delete, Kind::AgentProfile, "2.0.0"), b"", Some(&existing)), Decision::Delete);
    assert_eq!(decide(&cmd(Op::Delete, Kind::AgentProfile, "2.0.0"), b"", None), Decision::Nothing);
}

#[test]
fn delete_all_covers_the_states_of_its_scope() {
    let all = cmd(Op::DeleteAll, Kind::State, "1.0.3").key;
    let mut doc = all.clone();
    doc.registration = "r".into();
    assert!(all.covers(&doc), "no registration: every registration");
    let mut scoped = all.clone();
    scoped.registration = "q".into();
    assert!(!scoped.covers(&doc));
    doc.agent_key = "other".into();
    assert!(!all.covers(&doc));
    assert_eq!(all.partition_key("s"), doc_partition_key_with_other_registration(&all));
}

fn doc_partition_key_with_other_registration(key: &DocKey) -> String {
    let mut k = key.clone();
    k.registration = "x".into();
    k.doc_id = "y".into();
    k.partition_key("s")
}

#[test]
fn commands_round_trip_as_json() {
    let c = cmd(Op::DeleteAll, Kind::State, "2.0.0");
    let text = serde_json::to_string(&c).expect("serialises");
    assert_eq!(serde_json::from_str::<Command>(&text).expect("parses"), c);
    assert_eq!(c.xapi_version(), XapiVersion::V2_0_0);
}

#[test]
fn resource_paths() {
    assert_eq!(Kind::of_path("/xapi/activities/state"), Some(Kind::State));
    assert_eq!(Kind::of_path("/xapi/activities/profile/"), Some(Kind::ActivityProfile));
    assert_eq!(Kind::of_path("/xapi/agents/profile"), Some(Kind::AgentProfile));
    assert_eq!(Kind::of_path("/xapi/agents"), None);
}

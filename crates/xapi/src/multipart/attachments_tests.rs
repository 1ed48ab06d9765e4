use super::*;
use crate::multipart::{build, parse, Headers};
use serde_json::json;

const B: &str = "-------314159265358979323846";
const TEXT1: &[u8] = b"here is a simple attachment";
const TEXT2: &[u8] = b"here is another simple attachment";

fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn attachment(content: &[u8]) -> Value {
    json!({"usageType": "http://example.com/attachment-usage/test", "display": {"en-US": "A test attachment"},
        "contentType": "text/plain", "length": content.len(), "sha2": sha256(content)})
}

fn statement(attachments: Vec<Value>) -> Value {
    json!({"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://example.com/v"},
        "object": {"id": "http://example.com/a"}, "attachments": attachments})
}

fn headers(list: &[(&str, &str)]) -> Headers {
    list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

/// A part for `content` with the usual headers.
fn part(content: &[u8]) -> (Headers, Vec<u8>) {
    let hash = sha256(content);
    let h = headers(&[
        ("Content-Type", "text/plain"),
        ("Content-Transfer-Encoding", "binary"),
        ("X-Experience-API-Hash", &hash),
    ]);
    (h, content.to_vec())
}

/// Builds the request body (statements first), parses it, and applies the attachment rules.
fn check(
    statements: &[Value],
    attachment_parts: Vec<(Headers, Vec<u8>)>,
) -> Result<Vec<AttachmentData>, ValidationError> {
    let json = serde_json::to_vec(&Value::Array(statements.to_vec())).unwrap_or_default();
    let mut all: Vec<(Headers, &[u8])> = vec![(headers(&[("Content-Type", "application/json")]), &json[..])];
    all.extend(attachment_parts.iter().map(|(h, b)| (h.clone(), &b[..])));
    let body = build(B, &all);
    let parts = parse(B, &body).map_err(|e| ValidationError::new("", e.to_string()))?;
    assert_eq!(statements_part(&parts)?, &json[..]);
    attachments_from_parts(statements, &parts)
}

#[test]
fn matching_parts_are_returned() {
    let s = statement(vec![attachment(TEXT1), attachment(TEXT2)]);
    let out = check(&[s], vec![part(TEXT1), part(TEXT2)]).expect("valid");
    assert_eq!(out.len(), 2);
    assert_eq!(
        out[0],
        AttachmentData { sha2: sha256(TEXT1), content_type: "text/plain".into(), bytes: TEXT1.to_vec() }
    );
    assert_eq!(out[1].bytes, TEXT2);
}

#[test]
fn one_part_may_serve_several_attachments_and_repeats_are_kept_once() {
    let s1 = statement(vec![attachment(TEXT1)]);
    let s2 = statement(vec![attachment(TEXT1)]);
    assert_eq!(check(&[s1.clone(), s2.clone()], vec![part(TEXT1)]).expect("valid").len(), 1);
    assert_eq!(check(&[s1, s2], vec![part(TEXT1), part(TEXT1)]).expect("valid").len(), 1);
}

#[test]
fn file_url_attachments_need_no_part() {
    let mut a = attachment(TEXT1);
    a["fileUrl"] = json!("http://over.there.com/file.txt");
    assert_eq!(check(&[statement(vec![a.clone()])], vec![]).expect("valid"), vec![]);
    // ... but may have one.
    assert_eq!(check(&[statement(vec![a])], vec![part(TEXT1)]).expect("valid").len(), 1);
    // No attachments at all in a multipart request.
    let plain = json!({"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://example.com/v"}, "object": {"id": "http://example.com/a"}});
    assert_eq!(check(&[plain], vec![]).expect("valid"), vec![]);
}

#[test]
fn a_missing_part_is_rejected() {
    let s = statement(vec![attachment(TEXT1), attachment(TEXT2)]);
    let err = check(std::slice::from_ref(&s), vec![part(TEXT1)]).expect_err("missing part");
    assert_eq!(err.to_string(), "attachments[1].sha2: no multipart part carries this hash (and there is no fileUrl)");
    let err = check(&[statement(vec![]), s], vec![part(TEXT1)]).expect_err("missing part");
    assert_eq!(err.path, "[1].attachments[1].sha2");
}

#[test]
fn an_excess_part_is_rejected() {
    let s = statement(vec![attachment(TEXT1)]);
    let err = check(&[s], vec![part(TEXT1), part(TEXT2)]).expect_err("excess part");
    assert!(err.rule.starts_with("multipart part 3 is not referenced by any attachment"), "{err}");
}

#[test]
fn hash_header_is_required_and_checked() {
    let s = statement(vec![attachment(TEXT1)]);
    let (mut h, body) = part(TEXT1);
    h.retain(|(n, _)| n != "X-Experience-API-Hash");
    let err = check(std::slice::from_ref(&s), vec![(h, body)]).expect_err("no hash");
    assert!(err.rule.contains("has no X-Experience-API-Hash"), "{err}");
    // The header names another (declared) attachment's hash, not this content's.
    let s2 = statement(vec![attachment(TEXT1), attachment(TEXT2)]);
    let (mut h, _) = part(TEXT2);
    h.retain(|(n, _)| n != "Content-Type");
    let err = check(&[s2], vec![part(TEXT1), (h, TEXT1.to_vec())]).expect_err("wrong hash");
    assert!(err.rule.contains("does not match the SHA-2 of its content"), "{err}");
    let (mut h, body) = part(TEXT1);
    h[2].1 = "abc".into();
    assert!(check(&[s], vec![(h, body)]).expect_err("bad hash").rule.contains("not a hex SHA-256"));
}

#[test]
fn hash_is_case_insensitive_and_may_be_sha512() {
    let mut a = attachment(TEXT1);
    a["sha2"] = json!(sha256(TEXT1).to_uppercase());
    assert_eq!(check(&[statement(vec![a])], vec![part(TEXT1)]).expect("valid")[0].sha2, sha256(TEXT1));
    let sha512 = hex(&Sha512::digest(TEXT1));
    let mut a = attachment(TEXT1);
    a["sha2"] = json!(sha512.clone());
    let h = headers(&[("Content-Type", "text/plain"), ("X-Experience-API-Hash", &sha512.to_uppercase())]);
    assert_eq!(check(&[statement(vec![a])], vec![(h, TEXT1.to_vec())]).expect("valid")[0].sha2, sha512);
}

#[test]
fn transfer_encoding_must_be_binary_when_given() {
    let s = statement(vec![attachment(TEXT1)]);
    let (mut h, body) = part(TEXT1);
    h[1].1 = "base64".into();
    let err = check(std::slice::from_ref(&s), vec![(h, body.clone())]).expect_err("base64");
    assert!(err.rule.contains("Content-Transfer-Encoding base64"), "{err}");
    let (mut h, _) = part(TEXT1);
    h[1].1 = "BINARY".into();
    assert!(check(std::slice::from_ref(&s), vec![(h, body.clone())]).is_ok());
    let (mut h, _) = part(TEXT1);
    h.remove(1);
    assert!(check(&[s], vec![(h, body)]).is_ok(), "absent: assumed binary");
}

#[test]
fn content_type_must_match_the_attachment() {
    let mut a = attachment(TEXT1);
    a["contentType"] = json!("text/plain; charset=ascii");
    let s = statement(vec![a]);
    assert!(check(std::slice::from_ref(&s), vec![part(TEXT1)]).is_ok(), "parameters are ignored");
    let (mut h, body) = part(TEXT1);
    h[0].1 = "image/jpeg".into();
    let err = check(std::slice::from_ref(&s), vec![(h, body.clone())]).expect_err("mismatch");
    assert!(err.rule.contains("has Content-Type image/jpeg"), "{err}");
    let (mut h, _) = part(TEXT1);
    h.remove(0);
    let out = check(&[s], vec![(h, body)]).expect("absent Content-Type");
    assert_eq!(out[0].content_type, "text/plain; charset=ascii");
}

#[test]
fn substatement_attachments_count() {
    let mut s = statement(vec![]);
    s["object"] = json!({"objectType": "SubStatement", "actor": {"mbox": "mailto:b@example.com"},
        "verb": {"id": "http://example.com/v"}, "object": {"id": "http://example.com/a"}, "attachments": [attachment(TEXT2)]});
    assert_eq!(check(std::slice::from_ref(&s), vec![part(TEXT2)]).expect("valid").len(), 1);
    assert_eq!(check(&[s], vec![]).expect_err("missing").path, "object.attachments[0].sha2");
}

#[test]
fn the_first_part_must_be_json() {
    let body = build(B, &[(headers(&[("Content-Type", "text/plain")]), b"[]")]);
    let parts = parse(B, &body).expect("valid");
    assert!(statements_part(&parts).expect_err("not json").rule.contains("must be application/json"));
    let body = build(B, &[(vec![], b"[]")]);
    assert!(statements_part(&parse(B, &body).expect("valid")).is_err(), "no Content-Type");
    assert!(statements_part(&[]).is_err());
    let body = build(B, &[(headers(&[("content-type", "Application/JSON; charset=UTF-8")]), b"[]")]);
    assert_eq!(statements_part(&parse(B, &body).expect("valid")).expect("json"), b"[]");
}

//! Table-driven corpus for statement requests with attachments and signatures, end to end through the pure
//! pipeline the gateway runs: Content-Type → boundary → parts → statements part → validation → attachment
//! parts → signatures. Each case is one request the xAPI specification (1.0.3 Communication 1.5.2, Data 2.4.11
//! and 2.6; 2.0 4.1.3, 4.2.6 and 4.2.7) says to accept or to reject with 400, with the reason expected.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use base64::Engine;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};
use xapi::multipart::{self, attachments_from_parts, statements_part};
use xapi::signature::verify_statement_signatures;
use xapi::{validate, XapiVersion};

const B: &str = "-------314159265358979323846";
const CT: &str = "multipart/mixed; boundary=-------314159265358979323846";
const TEXT1: &str = "here is a simple attachment";
const TEXT2: &str = "here is another simple attachment";
const TEXT3: &str = "and a third one, nobody asked for";
const SIGNATURE: &str = "http://adlnet.gov/expapi/attachments/signature";
const SIGNER_KEY: &[u8] = include_bytes!("data/signature/signer-key.pk8.der");
const SIGNER_CERT: &[u8] = include_bytes!("data/signature/signer-cert.der");

/// The gateway's pure steps; `Ok(n)` is the number of distinct attachment contents received.
fn receive(content_type: &str, body: &[u8]) -> Result<usize, String> {
    if !multipart::is_multipart_mixed(content_type) {
        return Err("not multipart/mixed".into());
    }
    let boundary = multipart::boundary(content_type).ok_or("no boundary parameter")?;
    let parts = multipart::parse(&boundary, body).map_err(|e| e.to_string())?;
    let json = statements_part(&parts).map_err(|e| e.to_string())?;
    let statements = match serde_json::from_slice::<Value>(json).map_err(|e| format!("statements: {e}"))? {
        Value::Array(list) => list,
        single => vec![single],
    };
    for s in &statements {
        validate::statement(s, XapiVersion::V2_0_0).map_err(|e| e.to_string())?;
    }
    let data = attachments_from_parts(&statements, &parts).map_err(|e| e.to_string())?;
    verify_statement_signatures(&statements, &data).map_err(|e| e.to_string())?;
    Ok(data.len())
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn statement() -> Value {
    json!({"id": "e0b94b9c-95a4-4e4d-a0b2-3b6b06ae0d8e", "actor": {"mbox": "mailto:learner@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}},
        "object": {"id": "http://example.com/meeting"}})
}

fn attachment(content: &str, content_type: &str) -> Value {
    json!({"usageType": "http://example.com/attachment-usage/test", "display": {"en-US": "A test attachment"},
        "contentType": content_type, "length": content.len(), "sha2": sha256(content.as_bytes())})
}

fn with_attachments(attachments: Vec<Value>) -> Value {
    let mut s = statement();
    s["attachments"] = Value::Array(attachments);
    s
}

/// A part with the given header lines and content.
fn part(header_lines: &[String], content: &str) -> String {
    let mut out = format!("--{B}\r\n");
    for line in header_lines {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(content);
    out.push_str("\r\n");
    out
}

fn json_part(statements: &Value) -> String {
    part(&["Content-Type: application/json".into()], &statements.to_string())
}

fn text_part(content: &str) -> String {
    let hash = sha256(content.as_bytes());
    part(
        &[
            "Content-Type: text/plain".into(),
            "Content-Transfer-Encoding: binary".into(),
            format!("X-Experience-API-Hash: {hash}"),
        ],
        content,
    )
}

fn close() -> String {
    format!("--{B}--\r\n")
}

/// A JWS of `payload` signed with the test key.
fn jws(alg: &str, payload: &str, with_x5c: bool) -> String {
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let mut header = json!({"alg": alg});
    if with_x5c {
        header["x5c"] = json!([base64::engine::general_purpose::STANDARD.encode(SIGNER_CERT)]);
    }
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload.as_bytes()));
    let key = RsaPrivateKey::from_pkcs8_der(SIGNER_KEY).expect("test key");
    let signature = match alg {
        "RS384" => key.sign(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(input.as_bytes())),
        "RS512" => key.sign(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(input.as_bytes())),
        _ => key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(input.as_bytes())),
    };
    format!("{input}.{}", b64(&signature.expect("signing")))
}

/// A signed-statement request: `unsigned` signed as `payload` (by default the statement itself), with the
/// signature attachment of media type `content_type`.
fn signed_request(unsigned: &Value, payload: Option<&str>, alg: &str, content_type: &str) -> String {
    let signature = jws(alg, payload.unwrap_or(&unsigned.to_string()), true);
    let mut signed = unsigned.clone();
    signed["attachments"] = json!([{"usageType": SIGNATURE, "display": {"en-US": "Signed"}, "contentType": content_type,
        "length": signature.len(), "sha2": sha256(signature.as_bytes())}]);
    let hash = sha256(signature.as_bytes());
    let sig_part = part(
        &[
            format!("Content-Type:{content_type}"),
            "Content-Transfer-Encoding:binary".into(),
            format!("X-Experience-API-Hash:{hash}"),
        ],
        &signature,
    );
    format!("\r\n{}{sig_part}{}", json_part(&signed), close())
}

#[test]
fn attachment_requests() {
    let one = with_attachments(vec![attachment(TEXT1, "text/plain")]);
    let two = with_attachments(vec![attachment(TEXT1, "text/plain"), attachment(TEXT2, "text/plain")]);
    let mut file_url = attachment(TEXT1, "text/plain");
    file_url["fileUrl"] = json!("http://over.there.com/file.txt");
    let cases: Vec<(&str, String, Result<usize, &str>)> = vec![
        ("one attachment", format!("{}{}{}", json_part(&one), text_part(TEXT1), close()), Ok(1)),
        ("two attachments", format!("{}{}{}{}", json_part(&two), text_part(TEXT1), text_part(TEXT2), close()), Ok(2)),
        ("batch", format!("{}{}{}", json_part(&json!([one, one])), text_part(TEXT1), close()), Ok(1)),
        ("fileUrl only", format!("{}{}", json_part(&with_attachments(vec![file_url])), close()), Ok(0)),
        ("no attachments", format!("{}{}", json_part(&statement()), close()), Ok(0)),
        (
            "excess part",
            format!("{}{}{}{}{}", json_part(&two), text_part(TEXT1), text_part(TEXT2), text_part(TEXT3), close()),
            Err("multipart part 4 is not referenced by any attachment"),
        ),
        (
            "missing part",
            format!("{}{}{}", json_part(&two), text_part(TEXT1), close()),
            Err("attachments[1].sha2: no multipart part"),
        ),
        (
            "no boundary before the statements",
            format!("Content-Type: application/json\r\n\r\n{one}\r\n{}{}", text_part(TEXT1), close()),
            Err("the first part of a multipart/mixed request must be application/json"),
        ),
        (
            "no boundary before an attachment",
            format!(
                "{}Content-Type: text/plain\r\nX-Experience-API-Hash: {}\r\n\r\n{TEXT1}\r\n{}",
                json_part(&one),
                sha256(TEXT1.as_bytes()),
                close()
            ),
            Err("statements: "),
        ),
        (
            "first part not JSON",
            format!("{}{}{}", part(&["Content-Type: text/plain".into()], &one.to_string()), text_part(TEXT1), close()),
            Err("must be application/json"),
        ),
        (
            "statements in two parts",
            format!("{}{}{}{}", json_part(&one), json_part(&one), text_part(TEXT1), close()),
            Err("multipart part 2 has no X-Experience-API-Hash header"),
        ),
        (
            "no hash header",
            format!(
                "{}{}{}",
                json_part(&one),
                part(&["Content-Type: text/plain".into(), "Content-Transfer-Encoding: binary".into()], TEXT1),
                close()
            ),
            Err("has no X-Experience-API-Hash header"),
        ),
        (
            "wrong hash header",
            format!(
                "{}{}{}",
                json_part(&one),
                part(
                    &[
                        "Content-Type: text/plain".into(),
                        format!("X-Experience-API-Hash: {}", sha256(TEXT2.as_bytes()))
                    ],
                    TEXT1
                ),
                close()
            ),
            Err("does not match the SHA-2 of its content"),
        ),
        (
            "base64 transfer encoding",
            format!(
                "{}{}{}",
                json_part(&one),
                part(
                    &[
                        "Content-Type: text/plain".into(),
                        "Content-Transfer-Encoding: base64".into(),
                        format!("X-Experience-API-Hash: {}", sha256(TEXT1.as_bytes()))
                    ],
                    TEXT1
                ),
                close()
            ),
            Err("Content-Transfer-Encoding base64"),
        ),
        (
            "unterminated",
            format!("{}{}", json_part(&one), text_part(TEXT1)),
            Err("does not end with the closing boundary"),
        ),
    ];
    for (name, body, expected) in cases {
        match (receive(CT, body.as_bytes()), expected) {
            (Ok(n), Ok(m)) => assert_eq!(n, m, "{name}"),
            (Err(e), Err(reason)) => assert!(e.contains(reason), "{name}: {e}"),
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn request_content_types() {
    let body = format!("{}{}", json_part(&statement()), close());
    assert_eq!(receive(CT, body.as_bytes()), Ok(0));
    assert_eq!(receive(&format!("multipart/mixed; boundary=\"{B}\""), body.as_bytes()), Ok(0));
    assert!(receive(&format!("multipart/form-data; boundary={B}"), body.as_bytes()).is_err());
    assert!(receive("multipart/mixed;", body.as_bytes()).is_err());
    assert!(receive("multipart/mixed; boundary=another", body.as_bytes()).is_err());
}

#[test]
fn signed_statements() {
    let s = statement();
    let mut short = statement();
    short["result"] = json!({"duration": "P1DT12H36M0.12S"});
    let mut full = short.clone();
    full["result"]["duration"] = json!("P1DT12H36M0.1237S");
    let broken = s.to_string().replacen('"', "'", 1);
    let mut other = statement();
    other["object"]["id"] = json!("http://example.com/elsewhere");
    let octet = "application/octet-stream";
    let cases: Vec<(&str, String, Result<usize, &str>)> = vec![
        ("RS256", signed_request(&s, None, "RS256", octet), Ok(1)),
        ("RS384", signed_request(&s, None, "RS384", octet), Ok(1)),
        ("RS512", signed_request(&s, None, "RS512", octet), Ok(1)),
        ("HS256", signed_request(&s, None, "HS256", octet), Err("must be RS256, RS384 or RS512")),
        (
            "payload not JSON",
            signed_request(&s, Some(&broken), "RS256", octet),
            Err("not a base64url-encoded JSON statement"),
        ),
        (
            "payload of another statement",
            signed_request(&s, Some(&other.to_string()), "RS256", octet),
            Err("does not match"),
        ),
        (
            "signature as text/plain",
            signed_request(&s, None, "RS256", "text/plain; charset=ascii"),
            Err("must be application/octet-stream"),
        ),
        ("duration beyond hundredths", signed_request(&full, Some(&short.to_string()), "RS256", octet), Ok(1)),
    ];
    for (name, body, expected) in cases {
        match (receive(CT, body.as_bytes()), expected) {
            (Ok(n), Ok(m)) => assert_eq!(n, m, "{name}"),
            (Err(e), Err(reason)) => assert!(e.contains(reason), "{name}: {e}"),
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn a_signature_attachment_needs_its_content() {
    let signature = jws("RS256", &statement().to_string(), false);
    let mut signed = statement();
    signed["attachments"] = json!([{"usageType": SIGNATURE, "display": {"en-US": "Signed"}, "contentType": "application/octet-stream",
        "length": signature.len(), "sha2": sha256(signature.as_bytes()), "fileUrl": "http://example.com/signature"}]);
    let body = format!("{}{}", json_part(&signed), close());
    let err = receive(CT, body.as_bytes()).expect_err("no signature content");
    assert!(err.contains("attachments[0]: signature: the signature's content (a JWS) must be sent"), "{err}");
}

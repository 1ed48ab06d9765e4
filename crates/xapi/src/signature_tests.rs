use super::*;
use crate::multipart::attachments::hex;
use rsa::pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;
use serde_json::json;

const SIGNER_KEY: &[u8] = include_bytes!("../tests/data/signature/signer-key.pk8.der");
const SIGNER_CERT: &[u8] = include_bytes!("../tests/data/signature/signer-cert.der");
const OTHER_CERT: &[u8] = include_bytes!("../tests/data/signature/other-cert.der");
const SHORT_KEY: &[u8] = include_bytes!("../tests/data/signature/short-key.pk8.der");
const SHORT_CERT: &[u8] = include_bytes!("../tests/data/signature/short-cert.der");
const STATEMENT: &str = include_str!("../tests/data/signature/statement.json");
const OPENSSL_RS256: &str = include_str!("../tests/data/signature/openssl-RS256.jws");
const OPENSSL_RS512: &str = include_str!("../tests/data/signature/openssl-RS512.jws");
const OCTET: &str = "application/octet-stream";

fn statement() -> Value {
    serde_json::from_str(STATEMENT).unwrap_or_default()
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn x5c(cert: &[u8]) -> Value {
    json!([base64::engine::general_purpose::STANDARD.encode(cert)])
}

/// A JWS compact serialization of `payload` under `header`, signed with the PKCS #8 `key` as `header.alg` says.
fn sign_with(key: &[u8], header: &Value, payload: &str) -> String {
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(payload.as_bytes()));
    let key = RsaPrivateKey::from_pkcs8_der(key).expect("test key");
    let signed = match header["alg"].as_str() {
        Some("RS384") => key.sign(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(input.as_bytes())),
        Some("RS512") => key.sign(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(input.as_bytes())),
        _ => key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(input.as_bytes())),
    };
    format!("{input}.{}", b64url(&signed.expect("signing")))
}

fn sign(header: Value, payload: &Value) -> String {
    sign_with(SIGNER_KEY, &header, &payload.to_string())
}

fn rule(result: Result<(), ValidationError>) -> String {
    result.expect_err("should be rejected").rule
}

#[test]
fn openssl_signatures_verify() {
    for jws in [OPENSSL_RS256, OPENSSL_RS512] {
        assert_eq!(verify_signed(&statement(), jws.as_bytes(), OCTET), Ok(()));
        let mut tampered = statement();
        tampered["object"]["id"] = json!("http://example.com/other");
        assert!(rule(verify_signed(&tampered, jws.as_bytes(), OCTET)).contains("does not match the statement"));
    }
}

#[test]
fn accepts_the_three_rsa_algorithms_with_x5c() {
    for alg in ["RS256", "RS384", "RS512"] {
        let jws = sign(json!({"alg": alg, "x5c": x5c(SIGNER_CERT)}), &statement());
        assert_eq!(verify_signed(&statement(), jws.as_bytes(), OCTET), Ok(()), "{alg}");
    }
}

#[test]
fn rejects_other_algorithms() {
    for header in
        [json!({"alg": "HS256"}), json!({"alg": "none"}), json!({"alg": "PS256"}), json!({}), json!({"alg": 256})]
    {
        let jws = sign(header.clone(), &statement());
        assert!(
            rule(verify_signed(&statement(), jws.as_bytes(), OCTET)).contains("must be RS256, RS384 or RS512"),
            "{header}"
        );
    }
}

#[test]
fn without_x5c_the_signature_bytes_are_not_checked() {
    let jws = sign(json!({"alg": "RS256"}), &statement());
    let (signed, _) = jws.rsplit_once('.').unwrap_or_default();
    let garbage = format!("{signed}.{}", b64url(b"not a real signature"));
    assert_eq!(verify_signed(&statement(), garbage.as_bytes(), OCTET), Ok(()));
}

#[test]
fn x5c_signatures_must_verify() {
    let jws = sign(json!({"alg": "RS256", "x5c": x5c(OTHER_CERT)}), &statement());
    assert!(rule(verify_signed(&statement(), jws.as_bytes(), OCTET)).contains("does not verify"));
    let good = sign(json!({"alg": "RS256", "x5c": x5c(SIGNER_CERT)}), &statement());
    let (signed, signature) = good.rsplit_once('.').unwrap_or_default();
    let mut bytes = BASE64URL.decode(signature).unwrap_or_default();
    bytes[10] ^= 1;
    let flipped = format!("{signed}.{}", b64url(&bytes));
    assert!(rule(verify_signed(&statement(), flipped.as_bytes(), OCTET)).contains("does not verify"));
    // RS384 claimed, RS256 used.
    let header = json!({"alg": "RS384", "x5c": x5c(SIGNER_CERT)});
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(statement().to_string().as_bytes()));
    let key = RsaPrivateKey::from_pkcs8_der(SIGNER_KEY).expect("test key");
    let sig = key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(input.as_bytes())).expect("signing");
    let mixed = format!("{input}.{}", b64url(&sig));
    assert!(rule(verify_signed(&statement(), mixed.as_bytes(), OCTET)).contains("does not verify"));
}

#[test]
fn x5c_must_hold_a_usable_rsa_certificate() {
    let short = sign_with(SHORT_KEY, &json!({"alg": "RS256", "x5c": x5c(SHORT_CERT)}), &statement().to_string());
    assert!(rule(verify_signed(&statement(), short.as_bytes(), OCTET)).contains("shorter than 2048 bits"));
    for chain in [json!([]), json!("MIIB"), json!(["%%%"]), json!(["AAAA"]), json!([7])] {
        let jws = sign(json!({"alg": "RS256", "x5c": chain}), &statement());
        assert!(verify_signed(&statement(), jws.as_bytes(), OCTET).is_err(), "{chain}");
    }
}

#[test]
fn the_payload_must_be_the_statement() {
    // Conformance "bad JWS": the payload is not JSON.
    let broken = statement().to_string().replacen('"', "'", 1);
    let jws = sign_with(SIGNER_KEY, &json!({"alg": "RS256"}), &broken);
    assert!(rule(verify_signed(&statement(), jws.as_bytes(), OCTET)).contains("not a base64url-encoded JSON statement"));
    let jws = sign(json!({"alg": "RS256"}), &json!([statement()]));
    assert!(rule(verify_signed(&statement(), jws.as_bytes(), OCTET)).contains("not a statement object"));
    let mut other = statement();
    other["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/failed");
    let jws = sign(json!({"alg": "RS256"}), &other);
    assert!(rule(verify_signed(&statement(), jws.as_bytes(), OCTET)).contains("does not match"));
}

#[test]
fn comparison_follows_the_statement_comparison_rules() {
    // 2.0 4.2.7: the signed duration has hundredths, the sent one more precision.
    let jws = sign(json!({"alg": "RS256", "x5c": x5c(SIGNER_CERT)}), &statement());
    let mut sent = statement();
    sent["result"]["duration"] = json!("PT1H2M3.1237S");
    assert_eq!(verify_signed(&sent, jws.as_bytes(), OCTET), Ok(()));
    // The sent statement carries the signature attachment the payload cannot contain.
    let mut with_attachment = statement();
    with_attachment["attachments"] = json!([{"usageType": SIGNATURE_USAGE_TYPE, "display": {"en-US": "Signed"},
        "contentType": OCTET, "length": jws.len(), "sha2": hex(&Sha256::digest(jws.as_bytes()))}]);
    assert_eq!(verify_signed(&with_attachment, jws.as_bytes(), OCTET), Ok(()));
    // Timestamps compare as instants, and an LRS-assigned id may be missing from the payload.
    let mut shifted = statement();
    shifted["timestamp"] = json!("2024-05-04T12:00:00-05:00");
    assert_eq!(verify_signed(&shifted, jws.as_bytes(), OCTET), Ok(()));
    let mut unsigned_id = statement();
    unsigned_id.as_object_mut().map(|m| m.remove("id"));
    let jws = sign(json!({"alg": "RS256"}), &unsigned_id);
    assert_eq!(verify_signed(&statement(), jws.as_bytes(), OCTET), Ok(()));
}

#[test]
fn rejects_malformed_serializations() {
    let jws = sign(json!({"alg": "RS256"}), &statement());
    for bad in [
        "".to_string(),
        "abc".to_string(),
        "a.b".to_string(),
        format!("{jws}.extra"),
        json!({"payload": "x", "signatures": []}).to_string(),
        format!("!!!{jws}"),
        format!("{}.", jws.rsplit_once('.').unwrap_or_default().0),
    ] {
        assert!(verify_signed(&statement(), bad.as_bytes(), OCTET).is_err(), "{bad}");
    }
    assert!(verify_signed(&statement(), &[0xff, 0xfe, b'.', b'.'], OCTET).is_err());
    // Surrounding whitespace (a trailing line break) is tolerated.
    assert_eq!(verify_signed(&statement(), format!("{jws}\r\n").as_bytes(), OCTET), Ok(()));
}

#[test]
fn signature_content_type_and_critical_headers() {
    let jws = sign(json!({"alg": "RS256"}), &statement());
    assert!(rule(verify_signed(&statement(), jws.as_bytes(), "text/plain; charset=ascii"))
        .contains("application/octet-stream"));
    assert_eq!(verify_signed(&statement(), jws.as_bytes(), "Application/Octet-Stream"), Ok(()));
    let crit = sign(json!({"alg": "RS256", "crit": ["exp"], "exp": 1}), &statement());
    assert!(rule(verify_signed(&statement(), crit.as_bytes(), OCTET)).contains("crit"));
}

#[test]
fn statement_signatures_are_found_by_hash() {
    let jws = sign(json!({"alg": "RS256", "x5c": x5c(SIGNER_CERT)}), &statement());
    let sha2 = hex(&Sha256::digest(jws.as_bytes()));
    let mut signed = statement();
    signed["attachments"] = json!([
        {"usageType": "http://example.com/other", "display": {"en-US": "x"}, "contentType": "text/plain", "length": 1,
         "sha2": "00", "fileUrl": "http://example.com/x"},
        {"usageType": SIGNATURE_USAGE_TYPE, "display": {"en-US": "Signed"}, "contentType": OCTET,
         "length": jws.len(), "sha2": sha2.to_uppercase()}]);
    let data = AttachmentData { sha2, content_type: OCTET.into(), bytes: jws.into_bytes() };
    let plain = json!({"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://x.com/v"}, "object": {"id": "http://x.com/a"}});
    assert_eq!(verify_statement_signatures(&[signed.clone()], std::slice::from_ref(&data)), Ok(()));
    assert_eq!(verify_statement_signatures(&[plain.clone(), signed.clone()], std::slice::from_ref(&data)), Ok(()));
    let err = verify_statement_signatures(&[plain, signed.clone()], &[]).expect_err("no content");
    assert_eq!(err.path, "[1].attachments[1]");
    let mut wrong = signed;
    wrong["verb"]["id"] = json!("http://example.com/another");
    let err = verify_statement_signatures(&[wrong], &[data]).expect_err("mismatch");
    assert_eq!(err.path, "attachments[1]");
    assert!(err.to_string().starts_with("attachments[1]: signature: "), "{err}");
}

//! "Answered means stored", by construction: every request the gateway accepts becomes an envelope that
//! encodes, and decodes back to exactly what was accepted. Property-based over multipart requests with
//! arbitrary part and attachment content types (long, non-ASCII, at and past every bound).

use crate::statements::accept;
use proptest::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};
use xapi::prepare::{prepare_batch, PrepareContext};
use xapi::XapiVersion;

/// A content type of one of the interesting sizes: ordinary, near the edge's bound, past the envelope's
/// 65,535 bytes; ASCII or not.
fn content_type() -> impl Strategy<Value = String> {
    let len = prop_oneof![0usize..40, 1000usize..1100, 16_000usize..17_000, 33_000usize..33_500, 40_000usize..41_000];
    (len, any::<bool>(), any::<char>()).prop_map(|(n, ascii, c)| {
        let unit = if ascii { "a".to_string() } else { c.to_string() };
        format!("text/plain; name={}", unit.repeat(n))
    })
}

#[derive(Debug, Clone)]
struct Attachment {
    content: Vec<u8>,
    declared_type: String,
    part_type: Option<String>,
}

fn attachment() -> impl Strategy<Value = Attachment> {
    (proptest::collection::vec(any::<u8>(), 0..64), content_type(), proptest::option::of(content_type()))
        .prop_map(|(content, declared_type, part_type)| Attachment { content, declared_type, part_type })
}

fn request(attachments: &[Attachment]) -> (String, Vec<u8>) {
    let declared: Vec<serde_json::Value> = attachments
        .iter()
        .map(|a| {
            json!({"usageType": "http://example.com/u", "display": {"en-US": "a"}, "contentType": a.declared_type,
                   "length": a.content.len(), "sha2": hex::encode(Sha256::digest(&a.content))})
        })
        .collect();
    let statement = json!({"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://example.com/v"},
                          "object": {"id": "http://example.com/o"}, "attachments": declared});
    let boundary = "b0undary";
    let mut body = format!("--{boundary}\r\nContent-Type: application/json\r\n\r\n{statement}\r\n").into_bytes();
    for a in attachments {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        if let Some(t) = &a.part_type {
            body.extend_from_slice(format!("Content-Type: {t}\r\n").as_bytes());
        }
        body.extend_from_slice(
            format!(
                "Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {}\r\n\r\n",
                hex::encode(Sha256::digest(&a.content))
            )
            .as_bytes(),
        );
        body.extend_from_slice(&a.content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/mixed; boundary={boundary}"), body)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_accepted_request_becomes_an_envelope_that_decodes(attachments in proptest::collection::vec(attachment(), 0..4)) {
        let (content_type, body) = request(&attachments);
        let authority = json!({"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "k"}});
        let ctx = PrepareContext { version: XapiVersion::V1_0_3, stored_ms: 1_700_000_000_000, authority: &authority };
        if let Ok((prepared, contents)) = accept(&body, Some(&content_type), &ctx, prepare_batch) {
            let bytes = crate::envelope(&prepared, &contents).expect("an accepted request always encodes");
            let decoded = xapi::envelope::decode(&bytes).expect("and decodes");
            prop_assert_eq!(decoded.statements.len(), prepared.len());
            for (d, p) in decoded.statements.iter().zip(&prepared) {
                prop_assert_eq!(d.json, &p.payload[..]);
                prop_assert_eq!(d.fingerprint, p.fingerprint);
            }
            prop_assert_eq!(decoded.attachments.len(), contents.len());
            for (d, c) in decoded.attachments.iter().zip(&contents) {
                prop_assert_eq!(d.sha2, c.sha2.as_str());
                prop_assert_eq!(d.content_type, c.content_type.as_str());
                prop_assert_eq!(d.content, &c.content[..]);
            }
        }
    }
}

#[test]
fn the_reported_request_is_refused_with_400() {
    // The review's case: 80 KB of non-ASCII after `text/plain;` in the part's Content-Type.
    let a = Attachment {
        content: b"hello".to_vec(),
        declared_type: "text/plain".into(),
        part_type: Some(format!("text/plain;{}", "é".repeat(40_000))),
    };
    let (content_type, body) = request(&[a]);
    let authority = json!({"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "k"}});
    let ctx = PrepareContext { version: XapiVersion::V1_0_3, stored_ms: 1, authority: &authority };
    let err = accept(&body, Some(&content_type), &ctx, prepare_batch).expect_err("refused at the edge");
    assert_eq!(err.status(), axum::http::StatusCode::BAD_REQUEST);
}

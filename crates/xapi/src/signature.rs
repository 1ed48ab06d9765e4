//! Signed statements (xAPI 1.0.3 Data 2.6, 2.0 4.2.6): a statement with an Attachment of usageType
//! `http://adlnet.gov/expapi/attachments/signature` whose content is a JSON Web Signature (RFC 7515). The LRS
//! "MUST reject requests to store Statements that contain malformed signatures, with 400 Bad Request" and, to
//! decide, must:
//!
//! * decode the JWS and load the statement from its payload: the part must be a JWS Compact Serialization
//!   (`header.payload.signature`, base64url; required by 2.0, "SHOULD*" in 1.0.3 where the JSON serialization
//!   is "strongly discouraged ... will be forbidden"), of media type `application/octet-stream`;
//! * check the algorithm: "The JWS signature MUST use an algorithm of RS256, RS384, or RS512";
//! * "validate that the original Statement is logically equivalent to the received Statement" by the statement
//!   comparison rules ([`crate::compare::same_statement`], which also applies 2.0 4.2.7's duration precision).
//!   The payload is "the complete Statement before the signature was added", so the `attachments` property is
//!   left out on both sides;
//! * "if the JWS header includes an X.509 certificate, validate the signature against that certificate as
//!   defined in JWS": the first certificate of `x5c` is the signer's (RFC 7515 4.1.6); its RSA key checks the
//!   PKCS #1 v1.5 signature over `header.payload`. The chain itself is not validated: the specification means
//!   this check "as a way to catch mistakes in the signature, not as a security measure".

use crate::compare;
use crate::error::ValidationError;
use crate::multipart::AttachmentData;
use crate::validate::attachments::SIGNATURE_USAGE_TYPE;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

/// base64url as JWS uses it (no padding), accepting padding from lenient encoders.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Standard base64, as in `x5c` (RFC 7515 4.1.6).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// RFC 7518 3.3: "A key of size 2048 bits or larger MUST be used with these algorithms."
const MIN_KEY_BITS: usize = 2048;

/// The three algorithms xAPI allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Rs256,
    Rs384,
    Rs512,
}

/// Checks the signature attachment's content (`signature_part`, its media type `content_type`) against
/// `statement`. The error path is `attachments`; [`verify_statement_signatures`] names the attachment.
pub fn verify_signed(statement: &Value, signature_part: &[u8], content_type: &str) -> Result<(), ValidationError> {
    let err = |rule: &str| ValidationError::new("attachments", format!("signature: {rule}"));
    if !crate::multipart::media_type(content_type).eq_ignore_ascii_case("application/octet-stream") {
        return Err(err("the signature must have the content type application/octet-stream"));
    }
    let text = std::str::from_utf8(signature_part).map_err(|_| err("is not a JWS compact serialization (not text)"))?;
    let mut segments = text.trim_ascii().split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (segments.next(), segments.next(), segments.next(), segments.next())
    else {
        return Err(err("is not a JWS compact serialization (header.payload.signature)"));
    };
    let header: Map<String, Value> =
        decode_json(header_b64).ok_or_else(|| err("the JWS header is not a base64url-encoded JSON object"))?;
    let algorithm = match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => Algorithm::Rs256,
        Some("RS384") => Algorithm::Rs384,
        Some("RS512") => Algorithm::Rs512,
        _ => return Err(err("the JWS algorithm (alg) must be RS256, RS384 or RS512")),
    };
    if header.contains_key("crit") {
        // RFC 7515 4.1.11: a recipient must reject critical extensions it does not understand; it knows none.
        return Err(err("the JWS header lists critical extensions (crit), which this LRS does not support"));
    }
    let payload: Value =
        decode_json(payload_b64).ok_or_else(|| err("the JWS payload is not a base64url-encoded JSON statement"))?;
    if !payload.is_object() {
        return Err(err("the JWS payload is not a statement object"));
    }
    if !compare::same_statement(&without_attachments(statement), &without_attachments(&payload)) {
        return Err(err("the signed statement (JWS payload) does not match the statement"));
    }
    let signature = BASE64URL.decode(signature_b64).map_err(|_| err("the JWS signature is not base64url"))?;
    if signature.is_empty() {
        return Err(err("the JWS signature is empty"));
    }
    if let Some(chain) = header.get("x5c") {
        let key = signer_key(chain).map_err(|rule| err(&rule))?;
        let signing_input = format!("{header_b64}.{payload_b64}");
        let input = signing_input.as_bytes();
        let (scheme, digest) = match algorithm {
            Algorithm::Rs256 => (Pkcs1v15Sign::new::<Sha256>(), Sha256::digest(input).to_vec()),
            Algorithm::Rs384 => (Pkcs1v15Sign::new::<Sha384>(), Sha384::digest(input).to_vec()),
            Algorithm::Rs512 => (Pkcs1v15Sign::new::<Sha512>(), Sha512::digest(input).to_vec()),
        };
        key.verify(scheme, &digest, &signature)
            .map_err(|_| err("the JWS signature does not verify with the key of the x5c certificate"))?;
    }
    Ok(())
}

/// Verifies every signature attachment of `statements` (as accepted by the request) against the received
/// attachment contents. A signature attachment must come with its content in the request.
pub fn verify_statement_signatures(statements: &[Value], received: &[AttachmentData]) -> Result<(), ValidationError> {
    for (s, statement) in statements.iter().enumerate() {
        let Some(Value::Array(attachments)) = statement.get("attachments") else { continue };
        // Each check compares the whole statement: one signature per statement keeps a request's cost linear.
        let signatures = attachments
            .iter()
            .filter(|a| a.get("usageType").and_then(Value::as_str) == Some(SIGNATURE_USAGE_TYPE))
            .count();
        if signatures > 1 {
            let prefix = if statements.len() > 1 { format!("[{s}].") } else { String::new() };
            return Err(ValidationError::new(
                format!("{prefix}attachments"),
                "a statement carries at most one signature",
            ));
        }
        for (a, attachment) in attachments.iter().enumerate() {
            if attachment.get("usageType").and_then(Value::as_str) != Some(SIGNATURE_USAGE_TYPE) {
                continue;
            }
            let prefix = if statements.len() > 1 { format!("[{s}].") } else { String::new() };
            let path = format!("{prefix}attachments[{a}]");
            let sha2 = attachment.get("sha2").and_then(Value::as_str).unwrap_or_default();
            let Some(data) = received.iter().find(|d| d.sha2.eq_ignore_ascii_case(sha2)) else {
                return Err(ValidationError::new(
                    path,
                    "signature: the signature's content (a JWS) must be sent in the request",
                ));
            };
            let content_type = attachment.get("contentType").and_then(Value::as_str).unwrap_or(&data.content_type);
            verify_signed(statement, &data.bytes, content_type).map_err(|mut e| {
                e.path = path;
                e
            })?;
        }
    }
    Ok(())
}

fn decode_json<T: serde::de::DeserializeOwned>(segment: &str) -> Option<T> {
    serde_json::from_slice(&BASE64URL.decode(segment).ok()?).ok()
}

fn without_attachments(statement: &Value) -> Value {
    let mut copy = statement.clone();
    if let Value::Object(map) = &mut copy {
        map.remove("attachments");
    }
    copy
}

/// The RSA key of the first certificate of an `x5c` chain.
fn signer_key(chain: &Value) -> Result<RsaPublicKey, String> {
    let first = chain
        .as_array()
        .and_then(|certs| certs.first())
        .and_then(Value::as_str)
        .ok_or("the JWS x5c header must be a non-empty array of base64 certificates")?;
    let der = BASE64.decode(first).map_err(|_| "the first x5c certificate is not base64")?;
    let certificate =
        Certificate::from_der(&der).map_err(|_| "the first x5c certificate is not an X.509 certificate")?;
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|_| "the x5c certificate's public key cannot be read")?;
    let key = RsaPublicKey::from_public_key_der(&spki)
        .map_err(|_| "the x5c certificate does not hold a usable RSA public key")?;
    if key.size() * 8 < MIN_KEY_BITS {
        return Err(format!("the x5c certificate's RSA key is shorter than {MIN_KEY_BITS} bits"));
    }
    Ok(key)
}

#[cfg(test)]
#[path = "signature_tests.rs"]
mod tests;

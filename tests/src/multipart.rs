//! Statements with an attachment, as a client sends them: multipart/mixed with the content as a part.

use serde_json::{json, Value};
use sha2::Digest;

/// Gives `statement` one text attachment of `content` and returns (Content-Type, body) of the request that
/// carries both.
pub fn with_attachment(statement: &mut Value, content: &[u8]) -> (String, String) {
    let sha = hex::encode(sha2::Sha256::digest(content));
    statement["attachments"] = json!([{"usageType": "http://example.com/cert", "display": {"en-US": "cert"},
                                       "contentType": "text/plain", "length": content.len(), "sha2": sha}]);
    let boundary = "lrs-e2e-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Type: application/json\r\n\r\n{statement}\r\n--{boundary}\r\nContent-Type: text/plain\r\n\
         Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {sha}\r\n\r\n{}\r\n--{boundary}--\r\n",
        String::from_utf8_lossy(content)
    );
    (format!("multipart/mixed; boundary={boundary}"), body)
}

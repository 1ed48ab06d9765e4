//! Credentials: HTTP Basic key/secret pairs, each bound to one store (tenant) and to the Agent that becomes
//! the `authority` of the statements it writes.

use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Who made a request, as established by its credential.
#[derive(Debug, Clone)]
pub struct Principal {
    pub store: Arc<str>,
    pub key: Arc<str>,
    pub authority: Arc<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("authentication required: send HTTP Basic credentials")]
    Missing,
    #[error("malformed Authorization header")]
    Malformed,
    #[error("unknown key or wrong secret")]
    Invalid,
}

#[derive(Debug, Clone, Default)]
pub struct Credentials {
    by_key: HashMap<String, (String, Principal)>,
}

impl Credentials {
    pub fn new() -> Self {
        Self::default()
    }

    /// The credentials configured in `settings` (today the one dev credential and its store).
    pub fn from_settings(settings: &crate::Settings) -> Self {
        Self::new().with(&settings.dev_key, &settings.dev_secret, &settings.dev_store, &settings.public_url)
    }

    /// Adds a key/secret pair for `store`; `home_page` is the account homePage of its authority Agent.
    pub fn with(mut self, key: &str, secret: &str, store: &str, home_page: &str) -> Self {
        let authority = json!({"objectType": "Agent", "name": key, "account": {"homePage": home_page, "name": key}});
        let principal = Principal { store: store.into(), key: key.into(), authority: Arc::new(authority) };
        self.by_key.insert(key.to_string(), (secret.to_string(), principal));
        self
    }

    /// Checks an `Authorization` header value.
    pub fn authenticate(&self, header: Option<&str>) -> Result<Principal, AuthError> {
        let header = header.ok_or(AuthError::Missing)?;
        let (scheme, encoded) = header.trim().split_once(' ').ok_or(AuthError::Malformed)?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(AuthError::Malformed);
        }
        let decoded =
            base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| AuthError::Malformed)?;
        let decoded = String::from_utf8(decoded).map_err(|_| AuthError::Malformed)?;
        let (key, secret) = decoded.split_once(':').ok_or(AuthError::Malformed)?;
        match self.by_key.get(key) {
            Some((expected, principal)) if constant_time_eq(expected.as_bytes(), secret.as_bytes()) => {
                Ok(principal.clone())
            }
            _ => Err(AuthError::Invalid),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `Authorization` header value for a key/secret pair (for clients and tests).
pub fn basic_header(key: &str, secret: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new().with("k", "s3cret", "default", "http://lrs.example")
    }

    #[test]
    fn accepts_the_right_secret() {
        let p = creds().authenticate(Some(&basic_header("k", "s3cret"))).expect("valid");
        assert_eq!(&*p.store, "default");
        assert_eq!(p.authority["account"]["name"], "k");
    }

    #[test]
    fn rejects_everything_else() {
        let c = creds();
        assert_eq!(c.authenticate(None).unwrap_err(), AuthError::Missing);
        assert_eq!(c.authenticate(Some("Bearer x")).unwrap_err(), AuthError::Malformed);
        assert_eq!(c.authenticate(Some("Basic !!!")).unwrap_err(), AuthError::Malformed);
        assert_eq!(c.authenticate(Some(&basic_header("k", "wrong"))).unwrap_err(), AuthError::Invalid);
        assert_eq!(c.authenticate(Some(&basic_header("other", "s3cret"))).unwrap_err(), AuthError::Invalid);
    }
}

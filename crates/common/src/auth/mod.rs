//! Credentials: HTTP Basic key/secret pairs, each bound to one store (tenant), to its scopes, and to the Agent
//! that becomes the `authority` of the statements it writes. The ones from the environment (the xAPI dev
//! credential and the admin credential) are fixed; those the admin API creates live in ClickHouse
//! (`credentials`, secrets only as salted SHA-256) and every replica reloads them each
//! `LRS_CREDENTIALS_REFRESH_MS`, so a revoked key stops working everywhere within that period.

mod rate;
mod registry;
mod scopes;

pub use rate::RateLimit;
pub use registry::{hash_secret, load, spawn_refresh, StoredCredential};
pub use scopes::Scopes;

use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Who made a request, as established by its credential.
#[derive(Debug, Clone)]
pub struct Principal {
    pub store: Arc<str>,
    pub key: Arc<str>,
    pub authority: Arc<Value>,
    pub scopes: Scopes,
    /// The operator's credential: the admin API only.
    pub admin: bool,
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

#[derive(Debug, Clone)]
enum Secret {
    Plain(String),
    Hashed { salt: String, sha256: String },
}

#[derive(Debug, Clone)]
struct Entry {
    secret: Secret,
    principal: Principal,
}

#[derive(Debug, Default)]
pub struct Credentials {
    fixed: HashMap<String, Entry>,
    /// Replaced whole by each reload; changed in place by this replica's own admin calls.
    stored: RwLock<HashMap<String, Entry>>,
    home_page: String,
    rate_limit: Option<RateLimit>,
}

/// The authority Agent of a credential.
pub fn authority_of(key: &str, home_page: &str) -> Value {
    json!({"objectType": "Agent", "name": key, "account": {"homePage": home_page, "name": key}})
}

impl Credentials {
    pub fn new() -> Self {
        Self::default()
    }

    /// The credentials configured in `settings`: the xAPI one (every scope, its store) and the admin one.
    pub fn from_settings(settings: &crate::Settings) -> Self {
        let mut c =
            Self::new().with(&settings.dev_key, &settings.dev_secret, &settings.dev_store, &settings.public_url);
        c.home_page = settings.public_url.clone();
        if settings.rate_limit_per_s > 0.0 {
            c.rate_limit = Some(RateLimit::new(settings.rate_limit_per_s, settings.rate_limit_burst));
        }
        c.with_admin(&settings.admin_key, &settings.admin_secret)
    }

    /// Limits every credential to `per_second` requests a second on this replica, `burst` at once.
    pub fn with_rate_limit(mut self, per_second: f64, burst: f64) -> Self {
        self.rate_limit = Some(RateLimit::new(per_second, burst));
        self
    }

    /// Takes one request of `key` under the rate limit, if one is set; Err: how long until it would pass.
    pub fn admit(&self, key: &str) -> Result<(), std::time::Duration> {
        match &self.rate_limit {
            Some(limit) => limit.admit(key, std::time::Instant::now()),
            None => Ok(()),
        }
    }

    /// Adds a key/secret pair with every scope for `store`; `home_page` is the account homePage of its authority.
    pub fn with(mut self, key: &str, secret: &str, store: &str, home_page: &str) -> Self {
        let principal = Principal {
            store: store.into(),
            key: key.into(),
            authority: Arc::new(authority_of(key, home_page)),
            scopes: Scopes::ALL.union(Scopes::ANALYTICS_READ),
            admin: false,
        };
        self.fixed.insert(key.to_string(), Entry { secret: Secret::Plain(secret.to_string()), principal });
        self
    }

    /// Adds the operator's credential (the admin API, nothing of xAPI).
    pub fn with_admin(mut self, key: &str, secret: &str) -> Self {
        if key.is_empty() || secret.is_empty() {
            return self;
        }
        let principal = Principal {
            store: "".into(),
            key: key.into(),
            authority: Arc::new(Value::Null),
            scopes: Scopes::default(),
            admin: true,
        };
        self.fixed.insert(key.to_string(), Entry { secret: Secret::Plain(secret.to_string()), principal });
        self
    }

    fn entry(&self, c: &StoredCredential) -> Entry {
        Entry {
            secret: Secret::Hashed { salt: c.secret_salt.clone(), sha256: c.secret_sha256.clone() },
            principal: Principal {
                store: c.store.as_str().into(),
                key: c.key.as_str().into(),
                authority: Arc::new(authority_of(&c.key, &self.home_page)),
                scopes: Scopes::parse(&c.scopes).unwrap_or_default(),
                admin: false,
            },
        }
    }

    /// Replaces the stored credentials with `current` (the live ones, as just read).
    pub fn replace(&self, current: &[StoredCredential]) {
        let map: HashMap<String, Entry> = current
            .iter()
            .filter(|c| !self.fixed.contains_key(&c.key))
            .map(|c| (c.key.clone(), self.entry(c)))
            .collect();
        *self.stored.write().unwrap_or_else(|e| e.into_inner()) = map;
    }

    /// Adds one stored credential now (the replica that created it does not wait for its next reload).
    pub fn add(&self, c: &StoredCredential) {
        let entry = self.entry(c);
        self.stored.write().unwrap_or_else(|e| e.into_inner()).insert(c.key.clone(), entry);
    }

    /// Forgets one stored credential now (this replica; the others at their next reload).
    pub fn remove(&self, key: &str) {
        self.stored.write().unwrap_or_else(|e| e.into_inner()).remove(key);
    }

    /// Forgets every stored credential of `store` now.
    pub fn remove_store(&self, store: &str) {
        self.stored.write().unwrap_or_else(|e| e.into_inner()).retain(|_, e| &*e.principal.store != store);
    }

    /// Whether `key` is one of the credentials from the environment (never listed, never revoked).
    pub fn is_fixed(&self, key: &str) -> bool {
        self.fixed.contains_key(key)
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
        let check = |e: &Entry| match &e.secret {
            Secret::Plain(expected) => constant_time_eq(expected.as_bytes(), secret.as_bytes()),
            Secret::Hashed { salt, sha256 } => {
                constant_time_eq(hash_secret(salt, secret).as_bytes(), sha256.as_bytes())
            }
        };
        if let Some(e) = self.fixed.get(key) {
            return if check(e) { Ok(e.principal.clone()) } else { Err(AuthError::Invalid) };
        }
        match self.stored.read().unwrap_or_else(|e| e.into_inner()).get(key) {
            Some(e) if check(e) => Ok(e.principal.clone()),
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
        Credentials::new().with("k", "s3cret", "default", "http://lrs.example").with_admin("root", "r00t")
    }

    #[test]
    fn accepts_the_right_secret() {
        let p = creds().authenticate(Some(&basic_header("k", "s3cret"))).expect("valid");
        assert_eq!(&*p.store, "default");
        assert_eq!(p.authority["account"]["name"], "k");
        assert!(!p.admin && p.scopes.intersects(Scopes::ALL));
        assert!(creds().authenticate(Some(&basic_header("root", "r00t"))).expect("admin").admin);
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

    #[test]
    fn stored_credentials_come_and_go() {
        let c = creds();
        let (stored, secret) = StoredCredential::new("acme", &["state".to_string()], "player fleet");
        let key = stored.key.clone();
        c.replace(std::slice::from_ref(&stored));
        let p = c.authenticate(Some(&basic_header(&key, &secret))).expect("stored credential");
        assert_eq!((&*p.store, p.scopes), ("acme", Scopes::STATE));
        assert_eq!(c.authenticate(Some(&basic_header(&key, "nope"))).unwrap_err(), AuthError::Invalid);
        c.remove(&key);
        assert_eq!(c.authenticate(Some(&basic_header(&key, &secret))).unwrap_err(), AuthError::Invalid);
        c.add(&stored);
        c.remove_store("acme");
        assert!(c.authenticate(Some(&basic_header(&key, &secret))).is_err());
        c.replace(&[]);
        assert!(c.authenticate(Some(&basic_header("k", "s3cret"))).is_ok(), "fixed ones stay");
    }
}

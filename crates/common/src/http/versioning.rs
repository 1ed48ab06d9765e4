//! Which version the `X-Experience-API-Version` response header carries.
//!
//! A request naming a version we speak is answered in that version (`1.0.3` for any 1.0.x, `2.0.0` for 2.0.x).
//! A request without the header, or with one we do not speak, is rejected (400) by the xAPI resources; the
//! header then cannot echo it. xAPI 1.0.3 and 2.0.0 each say the LRS sets it to *its* latest version, which
//! differs for an LRS that speaks both, so the answer is the version the same client (the same `Authorization`
//! value) last spoke: a client that forgot the header on one request is told the version it otherwise uses.
//! Clients never seen (or without credentials) get the newest version. The memory is per process, bounded,
//! and holds only a keyed hash of the header value, never the credential itself.

use axum::http::{header, HeaderMap};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Mutex, OnceLock};
use xapi::XapiVersion;

/// The version for clients not yet seen.
pub const DEFAULT: XapiVersion = XapiVersion::V2_0_0;

/// Clients remembered at most; the memory is cleared when full (it is only a hint).
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct LastSpoken {
    hasher: std::collections::hash_map::RandomState,
    seen: Mutex<HashMap<u64, XapiVersion>>,
}

impl LastSpoken {
    /// The version the response to a request with `headers` carries; records the request's version when it
    /// names one we speak.
    pub fn response_version(&self, headers: &HeaderMap) -> XapiVersion {
        let requested =
            headers.get(super::VERSION_HEADER).and_then(|v| v.to_str().ok()).and_then(XapiVersion::from_header);
        let client = headers.get(header::AUTHORIZATION).map(|v| self.hasher.hash_one(v.as_bytes()));
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        match (requested, client) {
            (Some(v), Some(c)) => {
                if seen.len() >= CAPACITY && !seen.contains_key(&c) {
                    seen.clear();
                }
                seen.insert(c, v);
                v
            }
            (Some(v), None) => v,
            (None, Some(c)) => seen.get(&c).copied().unwrap_or(DEFAULT),
            (None, None) => DEFAULT,
        }
    }
}

/// The process-wide memory.
pub fn last_spoken() -> &'static LastSpoken {
    static LAST: OnceLock<LastSpoken> = OnceLock::new();
    LAST.get_or_init(LastSpoken::default)
}

/// [`LastSpoken::response_version`] on the process-wide memory.
pub fn response_version(headers: &HeaderMap) -> XapiVersion {
    last_spoken().response_version(headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(auth: Option<&str>, version: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = auth {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        if let Some(v) = version {
            h.insert(super::super::VERSION_HEADER, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn echoes_the_request_and_remembers_per_client() {
        let m = LastSpoken::default();
        assert_eq!(m.response_version(&headers(None, None)), DEFAULT);
        assert_eq!(m.response_version(&headers(Some("Basic a"), None)), DEFAULT, "never seen");
        assert_eq!(m.response_version(&headers(Some("Basic a"), Some("1.0.1"))), XapiVersion::V1_0_3);
        assert_eq!(m.response_version(&headers(Some("Basic b"), Some("2.0.0"))), XapiVersion::V2_0_0);
        assert_eq!(m.response_version(&headers(Some("Basic a"), None)), XapiVersion::V1_0_3);
        assert_eq!(m.response_version(&headers(Some("Basic a"), Some("0.8"))), XapiVersion::V1_0_3);
        assert_eq!(m.response_version(&headers(Some("Basic b"), Some("BAD"))), XapiVersion::V2_0_0);
        assert_eq!(m.response_version(&headers(None, Some("1.0"))), XapiVersion::V1_0_3);
        assert_eq!(m.response_version(&headers(Some("Basic a"), Some("2.0"))), XapiVersion::V2_0_0);
        assert_eq!(m.response_version(&headers(Some("Basic a"), None)), XapiVersion::V2_0_0, "last spoken wins");
    }

    #[test]
    fn bounded() {
        let m = LastSpoken::default();
        for i in 0..CAPACITY + 10 {
            m.response_version(&headers(Some(&format!("Basic {i}")), Some("1.0.3")));
        }
        assert!(m.seen.lock().unwrap().len() <= CAPACITY);
    }
}

//! String formats: UUIDs, hashes, Internet media types, timestamps and the statement `version`.

use super::{as_str, Checked, Path};
use crate::time;
use crate::version::XapiVersion;
use serde_json::Value;

/// The standard UUID string form, `8-4-4-4-12` hexadecimal digits (either case). xAPI requires this form and
/// only recommends the RFC 4122 variant, so neither version nor variant bits are checked; braced, URN and
/// unhyphenated forms are rejected.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A hex-encoded SHA-1 digest (`mbox_sha1sum`): 40 hexadecimal digits.
pub fn is_sha1_hex(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A hex-encoded SHA-2 digest (`sha2`): SHA-224, SHA-256, SHA-384 or SHA-512 length.
pub fn is_sha2_hex(s: &str) -> bool {
    matches!(s.len(), 56 | 64 | 96 | 128) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An Internet media type (RFC 2045/2046): `type "/" subtype *(";" attribute "=" value)`.
pub fn is_media_type(s: &str) -> bool {
    let mut parts = s.split(';');
    let Some(essence) = parts.next() else {
        return false;
    };
    let Some((kind, subtype)) = essence.trim().split_once('/') else {
        return false;
    };
    if !is_token(kind) || !is_token(subtype) {
        return false;
    }
    parts.all(|param| {
        let param = param.trim();
        match param.split_once('=') {
            Some((attribute, value)) => is_token(attribute.trim_end()) && is_param_value(value.trim_start()),
            None => false,
        }
    })
}

/// RFC 2045 token: printable ASCII except space and tspecials.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(
                    b,
                    b'(' | b')'
                        | b'<'
                        | b'>'
                        | b'@'
                        | b','
                        | b';'
                        | b':'
                        | b'\\'
                        | b'"'
                        | b'/'
                        | b'['
                        | b']'
                        | b'?'
                        | b'='
                )
        })
}

fn is_param_value(s: &str) -> bool {
    if let Some(inner) = s.strip_prefix('"') {
        inner.strip_suffix('"').is_some_and(|quoted| !quoted.contains(['"', '\r', '\n']))
    } else {
        is_token(s)
    }
}

/// A timestamp property (`timestamp`, `stored`): ISO 8601 date-time in the extended format. Both versions
/// reject the `-00:00` / `-0000` / `-00` offset (ISO 8601 requires `+` for a zero offset); xAPI 2.0 also
/// requires the time zone, which 1.0.3 only recommends.
pub(crate) fn timestamp(value: &Value, version: XapiVersion, path: &Path) -> Checked {
    let s = as_str(value, path)?;
    let Some(t) = time::parse(s) else {
        return Err(path.err("must be an ISO 8601 date-time such as 2024-01-02T03:04:05.678Z"));
    };
    if t.negative_zero_offset {
        return Err(path.err("must not use a negative zero UTC offset (-00:00); use Z or +00:00"));
    }
    if version == XapiVersion::V2_0_0 && !t.has_zone {
        return Err(path.err("must include a time zone (Z or an offset) in xAPI 2.0"));
    }
    Ok(())
}

/// The statement `version` property. xAPI 1.0.3 accepts `1.0` and `1.0.x`; xAPI 2.0 accepts those and
/// `2.0` / `2.0.x` (a 2.0 LRS keeps accepting 1.0.x statements, as the ADL 2.0 conformance suite checks).
pub(crate) fn version(value: &Value, version: XapiVersion, path: &Path) -> Checked {
    let s = as_str(value, path)?;
    let ok = match version {
        XapiVersion::V1_0_3 => in_family(s, "1.0"),
        XapiVersion::V2_0_0 => in_family(s, "1.0") || in_family(s, "2.0"),
    };
    if ok {
        Ok(())
    } else if version == XapiVersion::V1_0_3 {
        Err(path.err("must be 1.0 or start with 1.0. (a semantic version of xAPI 1.0)"))
    } else {
        Err(path.err("must be 2.0, start with 2.0., be 1.0 or start with 1.0. (a semantic version of xAPI)"))
    }
}

/// `family` (`1.0`) itself or `family.PATCH[-prerelease]` with a numeric patch without leading zeros.
fn in_family(s: &str, family: &str) -> bool {
    let Some(rest) = s.strip_prefix(family) else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let Some(rest) = rest.strip_prefix('.') else {
        return false;
    };
    let (patch, pre) = match rest.split_once('-') {
        Some((patch, pre)) => (patch, Some(pre)),
        None => (rest, None),
    };
    let patch_ok =
        !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()) && !(patch.len() > 1 && patch.starts_with('0'));
    let pre_ok = pre.is_none_or(|p| {
        !p.is_empty()
            && p.split('.').all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    });
    patch_ok && pre_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn uuids() {
        assert!(is_uuid("9dc99b37-e920-4a68-a066-917faca28949"));
        assert!(is_uuid("AA97B177-9383-4934-8543-0F91A7A02836"));
        assert!(is_uuid("00000000-0000-0000-0000-000000000000"));
        for s in [
            "AA97B177-9383-4934-8543-0F91A7A028368",
            "MA97B177-9383-4934-8543-0F91A7A02836",
            "9dc99b37e9204a68a066917faca28949",
            "{9dc99b37-e920-4a68-a066-917faca28949}",
            "urn:uuid:9dc99b37-e920-4a68-a066-917faca28949",
            "9dc99b37-e920-4a68-a066_917faca28949",
            "",
        ] {
            assert!(!is_uuid(s), "{s}");
        }
    }

    #[test]
    fn media_types() {
        for s in [
            "text/plain",
            "text/plain; charset=ascii",
            "application/octet-stream",
            "image/svg+xml",
            "multipart/mixed; boundary=\"abc def\"",
            "application/vnd.ms-excel",
        ] {
            assert!(is_media_type(s), "{s}");
        }
        for s in ["", "text", "text/", "/plain", "text/plain;", "text/pl ain", "text/plain; charset", "12345"] {
            assert!(!is_media_type(s), "{s:?}");
        }
    }

    #[test]
    fn versions() {
        let p = Path::ROOT;
        for ok in ["1.0", "1.0.0", "1.0.3", "1.0.9", "1.0.12", "1.0.0-beta.1"] {
            assert!(version(&json!(ok), XapiVersion::V1_0_3, &p).is_ok(), "{ok}");
            assert!(version(&json!(ok), XapiVersion::V2_0_0, &p).is_ok(), "{ok}");
        }
        for ok in ["2.0", "2.0.0", "2.0.1"] {
            assert!(version(&json!(ok), XapiVersion::V2_0_0, &p).is_ok(), "{ok}");
            assert!(version(&json!(ok), XapiVersion::V1_0_3, &p).is_err(), "{ok}");
        }
        for bad in [
            json!("should fail"),
            json!("0.9.9"),
            json!("1.1.0"),
            json!("1.0."),
            json!("1.0.03"),
            json!("1"),
            json!("1.00"),
            json!("2.1.0"),
            json!("1.0.x"),
            json!(""),
            json!(1.0),
            json!(null),
        ] {
            assert!(version(&bad, XapiVersion::V1_0_3, &p).is_err(), "{bad}");
            assert!(version(&bad, XapiVersion::V2_0_0, &p).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps() {
        let p = Path::ROOT;
        let v1 = XapiVersion::V1_0_3;
        let v2 = XapiVersion::V2_0_0;
        for ok in [
            "2008-09-15T15:53:00.601+00:00",
            "2021-11-29T23:09:00.867219+00:00",
            "2013-05-18T05:32:34.804Z",
            "2008-09-15T15:53:00.601-05:00",
            "2008-09-15T15:53:00+0530",
        ] {
            assert!(timestamp(&json!(ok), v1, &p).is_ok(), "{ok}");
            assert!(timestamp(&json!(ok), v2, &p).is_ok(), "{ok}");
        }
        assert!(timestamp(&json!("2008-09-15T15:53:00.601"), v1, &p).is_ok());
        assert!(timestamp(&json!("2008-09-15T15:53:00.601"), v2, &p).is_err());
        for bad in [
            "01/011/2015",
            "should fail",
            "2008-09-15T15:53:00.601-00",
            "2008-09-15T15:53:00.601-0000",
            "2008-09-15T15:53:00.601-00:00",
            "2008-09-15",
            "2008-13-15T15:53:00Z",
        ] {
            assert!(timestamp(&json!(bad), v1, &p).is_err(), "{bad}");
            assert!(timestamp(&json!(bad), v2, &p).is_err(), "{bad}");
        }
    }
}

//! `application/x-www-form-urlencoded` decoding and encoding, for query strings and the form bodies of the
//! alternate request syntax (pure).

/// The name/value pairs of a query string or form body, in order. `+` is a space; malformed percent-escapes
/// and bytes that do not decode to UTF-8 are errors.
pub fn decode(input: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for part in input.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        pairs.push((unescape(name)?, unescape(value)?));
    }
    Ok(pairs)
}

/// Decodes one component.
pub fn unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let byte = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| "malformed percent-encoding".to_string())?;
                out.push(byte);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "percent-encoded bytes are not UTF-8".to_string())
}

/// Percent-encodes one component (everything but the RFC 3986 unreserved characters).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Encodes pairs as a query string (without the leading `?`).
pub fn encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&escape(name));
        out.push('=');
        out.push_str(&escape(value));
    }
    out
}

/// The single value of parameter `name`, checking the query names no other parameter than `allowed` (exact
/// case: xAPI rejects unknown parameters and those differing only in case) and none twice.
pub fn single_params<'p>(pairs: &'p [(String, String)], allowed: &[&str]) -> Result<Vec<Option<&'p str>>, String> {
    let mut found: Vec<Option<&str>> = vec![None; allowed.len()];
    for (name, value) in pairs {
        let Some(i) = allowed.iter().position(|a| a == name) else {
            return Err(format!("unknown parameter {name:?} (this resource takes {})", allowed.join(", ")));
        };
        if found[i].is_some() {
            return Err(format!("parameter {name:?} given more than once"));
        }
        found[i] = Some(value.as_str());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let pairs = decode("a=1&b=x+y%20z&agent=%7B%22mbox%22%3A%22mailto%3Aa%40b.c%22%7D&empty&=v").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y z".into()),
                ("agent".into(), r#"{"mbox":"mailto:a@b.c"}"#.into()),
                ("empty".into(), "".into()),
                ("".into(), "v".into()),
            ]
        );
        let encoded = encode(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        assert_eq!(decode(&encoded).unwrap(), pairs);
        assert_eq!(escape("é &+"), "%C3%A9%20%26%2B");
    }

    #[test]
    fn malformed() {
        assert!(decode("a=%zz").is_err());
        assert!(decode("a=%4").is_err());
        assert!(decode("a=%ff").is_err());
    }

    #[test]
    fn single_params_checks_names() {
        let pairs = decode("activityId=http%3A%2F%2Fexample.com").unwrap();
        assert_eq!(single_params(&pairs, &["activityId"]).unwrap(), vec![Some("http://example.com")]);
        assert_eq!(single_params(&[], &["activityId"]).unwrap(), vec![None]);
        assert!(single_params(&decode("activityid=x").unwrap(), &["activityId"]).is_err());
        assert!(single_params(&decode("activityId=x&activityId=y").unwrap(), &["activityId"]).is_err());
        assert!(single_params(&decode("activityId=x&foo=y").unwrap(), &["activityId"]).is_err());
    }
}

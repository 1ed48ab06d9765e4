//! `application/x-www-form-urlencoded` decoding and encoding, for query strings and the form bodies of the
//! alternate request syntax, on the `percent-encoding` crate (pure).

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986's unreserved characters is escaped.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The name/value pairs of a query string or form body, in order. `+` is a space; a malformed escape (`%zz`)
/// and escapes that decode to bytes that are not UTF-8 are errors.
pub fn decode(input: &str) -> Result<Vec<(String, String)>, String> {
    input
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            Ok((unescape(name)?, unescape(value)?))
        })
        .collect()
}

/// Decodes one component.
pub fn unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let malformed = b.iter().enumerate().any(|(i, &c)| {
        c == b'%' && !matches!(b.get(i + 1..i + 3), Some([h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit())
    });
    if malformed {
        return Err("malformed percent-encoding".to_string());
    }
    let spaced = s.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| "percent-encoded bytes are not UTF-8".to_string())
}

/// Percent-encodes one component.
pub fn escape(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
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
        assert!(decode("a=%ff").is_err());
        assert!(decode("a=%zz").is_err());
        assert!(decode("a=%4").is_err());
    }
}

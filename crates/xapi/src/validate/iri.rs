//! Best-effort IRI checks (RFC 3987, which xAPI allows to be best-effort): an absolute IRI has a valid scheme,
//! a non-empty remainder, only characters an IRI may hold, well-formed percent-encodings, at most one fragment
//! and, when it has an authority, a numeric port. Relative references and IRI fragments are rejected.

/// An absolute IRI: `scheme ":" ihier-part ["?" iquery] ["#" ifragment]`.
pub fn is_absolute_iri(s: &str) -> bool {
    let Some(colon) = scheme_end(s) else {
        return false;
    };
    let rest = &s[colon + 1..];
    !rest.is_empty() && valid_characters(rest) && valid_authority(rest)
}

/// The index of the `:` ending a valid RFC 3986 scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`).
fn scheme_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    let end = b.iter().position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))?;
    (b[end] == b':').then_some(end)
}

/// An IRL: an IRI meant to be resolved (checked as an absolute IRI).
pub fn is_irl(s: &str) -> bool {
    is_absolute_iri(s)
}

/// An absolute URI: an absolute IRI made of ASCII characters only (the `openid` property).
pub fn is_absolute_uri(s: &str) -> bool {
    s.is_ascii() && is_absolute_iri(s)
}

/// `mailto:` followed by one email address (`local@domain`), as the `mbox` property requires.
pub fn is_mailto_iri(s: &str) -> bool {
    let Some(address) = s.strip_prefix("mailto:") else {
        return false;
    };
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !address.contains(['?', '#'])
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && valid_characters(address)
}

/// How an ASCII byte may appear in an IRI.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Never (space, controls, `"` `<` `>` `\` `^` `` ` `` `{` `|` `}`, DEL).
    Bad,
    /// Anywhere: unreserved and the other reserved characters.
    Ok,
    Percent,
    Question,
    Hash,
    Bracket,
}

const fn ascii_classes() -> [Class; 128] {
    let mut table = [Class::Bad; 128];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        table[c] = match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => Class::Ok,
            b'-' | b'.' | b'_' | b'~' | b':' | b'/' | b'@' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+'
            | b',' | b';' | b'=' => Class::Ok,
            b'%' => Class::Percent,
            b'?' => Class::Question,
            b'#' => Class::Hash,
            b'[' | b']' => Class::Bracket,
            _ => Class::Bad,
        };
        c += 1;
    }
    table
}

static ASCII: [Class; 128] = ascii_classes();

/// Every character may appear in an IRI: no spaces, controls or the characters RFC 3987 excludes, `%` only
/// as a percent-encoding, at most one `#`, square brackets only inside the authority (an IP literal host).
fn valid_characters(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut fragment = false;
    let mut in_query = false;
    let authority = if s.starts_with("//") { authority_end(s) } else { 0 };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            match ASCII[b as usize] {
                Class::Ok => {}
                Class::Bad => return false,
                Class::Percent => {
                    let hex = |k: usize| bytes.get(k).is_some_and(|b| b.is_ascii_hexdigit());
                    if !(hex(i + 1) && hex(i + 2)) {
                        return false;
                    }
                    i += 2;
                }
                Class::Question => in_query = true,
                Class::Hash => {
                    if fragment {
                        return false;
                    }
                    fragment = true;
                }
                Class::Bracket => {
                    if i >= authority {
                        return false;
                    }
                }
            }
            i += 1;
        } else {
            // `i` is always at a character boundary: ASCII bytes and whole characters are stepped over.
            let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) else {
                return false;
            };
            if !(is_ucschar(c) || (in_query && is_iprivate(c))) {
                return false;
            }
            i += c.len_utf8();
        }
    }
    true
}

/// RFC 3987 `ucschar`: non-ASCII characters allowed anywhere (excludes C1 controls, noncharacters, private
/// use, and the bidirectional formatting characters RFC 3987 section 4.1 forbids).
fn is_ucschar(c: char) -> bool {
    let u = c as u32;
    if matches!(u, 0x200E | 0x200F | 0x202A..=0x202E) {
        return false;
    }
    matches!(u,
        0xA0..=0xD7FF | 0xF900..=0xFDCF | 0xFDF0..=0xFFEF)
        || (u >= 0x10000 && (u & 0xFFFF) <= 0xFFFD && u < 0xE0000)
        || (0xE1000..=0xEFFFD).contains(&u)
}

/// RFC 3987 `iprivate`: private-use characters, allowed only in the query.
fn is_iprivate(c: char) -> bool {
    matches!(c as u32, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD)
}

/// Where the authority ends in a hier-part that starts with `//`.
fn authority_end(rest: &str) -> usize {
    let b = rest.as_bytes();
    (2..b.len()).find(|&i| matches!(b[i], b'/' | b'?' | b'#')).unwrap_or(b.len())
}

/// When the hier-part has an authority (`//userinfo@host:port`), the host is an IP literal in brackets or
/// has no colon, and the port is all digits.
fn valid_authority(rest: &str) -> bool {
    if !rest.starts_with("//") {
        return true;
    }
    let authority = &rest[2..authority_end(rest)];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let port = if let Some(literal) = host_port.strip_prefix('[') {
        let Some((inside, after)) = literal.split_once(']') else {
            return false;
        };
        if inside.is_empty() || inside.contains('[') {
            return false;
        }
        match after.strip_prefix(':') {
            Some(port) => port,
            None if after.is_empty() => "",
            None => return false,
        }
    } else {
        if host_port.contains(['[', ']']) {
            return false;
        }
        host_port.split_once(':').map_or("", |(_, port)| port)
    };
    port.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_absolute_iris() {
        for s in [
            "http://adlnet.gov/expapi/verbs/completed",
            "https://w3id.org/xapi/video/verbs/seeked",
            "uuid://7d4f3c70-1e79-4243-9b7d-166076ce8bfb",
            "course-v1:FUN-MOOC+00002+session01",
            "urn:uuid:9dc99b37-e920-4a68-a066-917faca28949",
            "http://example.com/xapi/verbs#defenestrated",
            "http://example.com/فعل/خواندن",
            "http://example.com:8080/a?b=c&d=%20e#f",
            "http://[::1]:80/x",
            "http://user@example.com/",
            "tag:example.com,2024:thing",
            "file:///etc/hosts",
        ] {
            assert!(is_absolute_iri(s), "{s} should be an IRI");
        }
    }

    #[test]
    fn rejects_non_iris() {
        for s in [
            "",
            "should fail",
            "ab=c://should.fail.com",
            "/relative/path",
            "#fragment",
            "example.com",
            "http:",
            "1http://x",
            "http://x/a b",
            "http://x/%zz",
            "http://x/%4",
            "http://x/a#b#c",
            "http://x/<a>",
            "http://x:port/",
            "http://x/\u{202E}evil",
            "http://x/[a]",
        ] {
            assert!(!is_absolute_iri(s), "{s:?} should not be an IRI");
        }
    }

    #[test]
    fn mailto() {
        assert!(is_mailto_iri("mailto:xapi@adlnet.gov"));
        assert!(is_mailto_iri("mailto:first.last+tag@sub.example.co.uk"));
        assert!(is_mailto_iri("mailto:dept/unit@example.com"));
        for s in [
            "mailto:should.fail.com",
            "http://should.fail.com",
            "xapi@adlnet.gov",
            "mailto:@x.com",
            "mailto:a@",
            "mailto:a@b@c",
            "mailto:a b@c.com",
            "MAILTO:a@b.com",
            "mailto:a@b.com?subject=x",
            "mailto:a@.com",
        ] {
            assert!(!is_mailto_iri(s), "{s:?} should not be a mailto IRI");
        }
    }

    #[test]
    fn uri_is_ascii() {
        assert!(is_absolute_uri("http://openid.example.org/12345"));
        assert!(!is_absolute_uri("http://openid.example.org/é"));
    }
}

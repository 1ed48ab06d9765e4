//! `multipart/mixed` bodies (RFC 2046 5.1) as xAPI uses them for statements with attachments (1.0.3
//! Communication 1.5.2, 2.0 4.1.3): reading a request body into its parts, and writing a response body.
//! The xAPI rules over the parts (hash headers, which attachment each part belongs to) are in
//! [`attachments`].
//!
//! Parsing is zero-copy (each part's body is a slice of the request) and linear: one forward pass, testing for a
//! delimiter only at line starts, each test bounded by the boundary length (at most 70 bytes). Lines may end in
//! CRLF, as RFC 2046 requires, or in a bare LF, which some clients send.

pub mod attachments;

pub use attachments::{attachments_from_parts, statements_part, AttachmentData};

/// Header fields: (name, value) pairs in order.
pub type Headers = Vec<(String, String)>;

/// One body part: its header fields (names lowercased, values trimmed, in order) and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    pub headers: Headers,
    pub body: &'a [u8],
}

impl Part<'_> {
    /// The value of the first header field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why a multipart body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("the multipart boundary is not valid (RFC 2046: 1 to 70 characters, no trailing space)")]
    InvalidBoundary,
    #[error("the multipart body has no boundary line (--boundary)")]
    NoBoundary,
    #[error("the multipart body has no parts")]
    NoParts,
    #[error("the multipart body does not end with the closing boundary (--boundary--)")]
    Unterminated,
    #[error("part {part} of the multipart body has a malformed header line")]
    MalformedHeader { part: usize },
    #[error("part {part} of the multipart body has too many header lines")]
    TooManyHeaders { part: usize },
    #[error("part {part} of the multipart body has a header section over {MAX_HEADER_BYTES} bytes")]
    HeadersTooLong { part: usize },
}

/// A part's header section is a few lines; more is not a client sending attachments.
const MAX_HEADERS: usize = 64;
/// The most bytes of one part's header section (as an HTTP server bounds its request headers).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Whether a Content-Type header value is `multipart/mixed` (any parameters).
pub fn is_multipart_mixed(content_type: &str) -> bool {
    media_type(content_type).eq_ignore_ascii_case("multipart/mixed")
}

/// The media type of a Content-Type value without its parameters, trimmed (`text/plain; charset=x` →
/// `text/plain`).
pub fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

/// The `boundary` parameter of a Content-Type header value, unquoted; `None` when absent or not a valid RFC
/// 2046 boundary. The media type itself is not checked (see [`is_multipart_mixed`]).
pub fn boundary(content_type: &str) -> Option<String> {
    let mut rest = content_type.split_once(';')?.1;
    loop {
        let (name, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let (value, next) = unquote(quoted)?;
            (value, next.split_once(';').map_or("", |(_, n)| n))
        } else {
            let (value, next) = after.split_once(';').unwrap_or((after, ""));
            (value.trim().to_string(), next)
        };
        if name.trim().eq_ignore_ascii_case("boundary") {
            return valid_boundary(&value).then_some(value);
        }
        rest = next;
    }
}

/// The content of a quoted-string (after its opening quote) and the text after its closing quote.
fn unquote(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 1..])),
            '\\' => out.push(chars.next()?.1),
            _ => out.push(c),
        }
    }
    None
}

/// RFC 2046: `0*69<bchars> bcharsnospace`.
fn valid_boundary(b: &str) -> bool {
    let bchar = |c: u8| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c);
    (1..=70).contains(&b.len()) && b.bytes().all(bchar) && !b.ends_with(' ')
}

/// Splits `body` into its parts. The preamble (before the first boundary line) and the epilogue (after the
/// closing one) are ignored.
pub fn parse<'a>(boundary: &str, body: &'a [u8]) -> Result<Vec<Part<'a>>, MultipartError> {
    if !valid_boundary(boundary) {
        return Err(MultipartError::InvalidBoundary);
    }
    let dash = [b"--", boundary.as_bytes()].concat();
    let (_, mut line) = next_delimiter(body, &dash, 0).ok_or(MultipartError::NoBoundary)?;
    let mut parts = Vec::new();
    loop {
        let Delimiter::Open(content_start) = line else {
            return if parts.is_empty() { Err(MultipartError::NoParts) } else { Ok(parts) };
        };
        let number = parts.len() + 1;
        let (headers, body_start) = headers(body, content_start, number)?;
        // The line break ending the header section may be the one that opens the next delimiter.
        let search_from = body_start.saturating_sub(1).max(content_start);
        let (body_end, next) = next_delimiter(body, &dash, search_from).ok_or(MultipartError::Unterminated)?;
        let part_body = body.get(body_start..body_end.max(body_start)).unwrap_or_default();
        parts.push(Part { headers, body: part_body });
        line = next;
    }
}

/// What follows a delimiter: another part (starting at the offset) or the end.
enum Delimiter {
    Open(usize),
    Close,
}

/// The next delimiter line at or after `from`: where the preceding content ends (before its line break) and
/// what it opens. A delimiter is `--boundary` at the start of the body or of a line, followed by optional
/// spaces and a line break (another part) or by `--` (the end).
fn next_delimiter(body: &[u8], dash: &[u8], from: usize) -> Option<(usize, Delimiter)> {
    if from == 0 {
        if let Some(kind) = delimiter_at(body, 0, dash) {
            return Some((0, kind));
        }
    }
    let mut at = from;
    while let Some(offset) = body.get(at..)?.iter().position(|&b| b == b'\n') {
        let newline = at + offset;
        if let Some(kind) = delimiter_at(body, newline + 1, dash) {
            let crlf = newline > 0 && body[newline - 1] == b'\r';
            return Some((if crlf { newline - 1 } else { newline }, kind));
        }
        at = newline + 1;
    }
    None
}

/// Whether a delimiter line starts at `start`, and what it opens.
fn delimiter_at(body: &[u8], start: usize, dash: &[u8]) -> Option<Delimiter> {
    let rest = body.get(start..)?.strip_prefix(dash)?;
    if rest.starts_with(b"--") {
        return Some(Delimiter::Close);
    }
    let padding = rest.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    let after = start + dash.len() + padding;
    match body.get(after..)? {
        [b'\r', b'\n', ..] => Some(Delimiter::Open(after + 2)),
        [b'\n', ..] => Some(Delimiter::Open(after + 1)),
        _ => None,
    }
}

/// The header fields of a part starting at `start`, and where its body starts (after the empty line).
fn headers(body: &[u8], start: usize, part: usize) -> Result<(Headers, usize), MultipartError> {
    let mut headers = Headers::new();
    let mut at = start;
    loop {
        let line_end = body.get(at..).and_then(|rest| rest.iter().position(|&b| b == b'\n')).map(|p| at + p);
        let Some(line_end) = line_end else { return Err(MultipartError::Unterminated) };
        if line_end - start > MAX_HEADER_BYTES {
            return Err(MultipartError::HeadersTooLong { part });
        }
        let line = &body[at..line_end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        at = line_end + 1;
        if line.is_empty() {
            return Ok((headers, at));
        }
        let text = std::str::from_utf8(line).map_err(|_| MultipartError::MalformedHeader { part })?;
        if text.starts_with([' ', '\t']) {
            // A folded continuation of the previous field (RFC 5322 2.2.3).
            let (_, value) = headers.last_mut().ok_or(MultipartError::MalformedHeader { part })?;
            value.push(' ');
            value.push_str(text.trim());
            continue;
        }
        let (name, value) = text.split_once(':').ok_or(MultipartError::MalformedHeader { part })?;
        let valid_name = !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic());
        if !valid_name {
            return Err(MultipartError::MalformedHeader { part });
        }
        if headers.len() == MAX_HEADERS {
            return Err(MultipartError::TooManyHeaders { part });
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
}

/// A `multipart/mixed` body of `parts` (header fields and content each), CRLF line breaks, ending with the
/// closing delimiter. `boundary` must not occur in any content: see [`choose_boundary`].
pub fn build(boundary: &str, parts: &[(Headers, &[u8])]) -> Vec<u8> {
    let size: usize = parts.iter().map(|(h, b)| b.len() + 8 + boundary.len() + h.len() * 64).sum();
    let mut out = Vec::with_capacity(size + boundary.len() + 8);
    for (headers, content) in parts {
        out.extend_from_slice(b"--");
        out.extend_from_slice(boundary.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(content);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"--\r\n");
    out
}

/// A boundary that occurs in none of `contents`, derived from them (deterministic, no randomness needed).
pub fn choose_boundary(contents: &[&[u8]]) -> String {
    let seed = contents.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, c| {
        c.iter().fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
    });
    (0u64..)
        .map(|n| format!("xapi-{:016x}-{n}", seed.rotate_left((n % 64) as u32)))
        .find(|candidate| !contents.iter().any(|c| contains(c, candidate.as_bytes())))
        .unwrap_or_default()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
#[path = "multipart_tests.rs"]
mod tests;

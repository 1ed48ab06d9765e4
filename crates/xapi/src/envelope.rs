//! The Kafka record of one write request: all its statements and attachment contents in one value, so that a
//! request is atomic (Kafka stores a record whole or not at all) and costs one record however many statements
//! it carries.
//!
//! Layout (integers big-endian): `LRSE` magic, format byte 1, then the statement count (u32) and per statement
//! its comparison fingerprint (u64), length (u32) and JSON bytes; then the attachment count (u32) and per
//! attachment its sha2, content type (u16 length each) and content (u32 length). Binary framing keeps the
//! statements' bytes untouched (they may contain any whitespace) and attachments unencoded.
//!
//! [`Envelope::encode`] refuses exactly what [`decode`] would refuse (a field longer than its length prefix
//! can say), so a record the gateway publishes is always one the processor can read: "answered" means
//! "stored". The HTTP edge bounds the same fields earlier, with a 400 naming them.

const MAGIC: &[u8; 4] = b"LRSE";
const FORMAT: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeStatement<'a> {
    pub fingerprint: u64,
    pub json: &'a [u8],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeAttachment<'a> {
    pub sha2: &'a str,
    pub content_type: &'a str,
    pub content: &'a [u8],
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub statements: Vec<EnvelopeStatement<'a>>,
    pub attachments: Vec<EnvelopeAttachment<'a>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("not a statement envelope (bad magic or format)")]
    Format,
    #[error("envelope truncated")]
    Truncated,
    #[error("envelope field is not UTF-8")]
    Utf8,
    #[error("envelope has trailing bytes")]
    Trailing,
    #[error("envelope field {field} is {len} bytes, more than the {max} it can carry")]
    TooLong { field: &'static str, len: usize, max: usize },
}

/// The longest sha2 and content type an envelope carries (a u16 length prefix).
pub const MAX_SHORT_FIELD: usize = u16::MAX as usize;
/// The longest statement, attachment, or count an envelope carries (a u32 length prefix).
pub const MAX_LONG_FIELD: usize = u32::MAX as usize;

impl Envelope<'_> {
    pub fn encoded_len(&self) -> usize {
        9 + self.statements.iter().map(|s| 12 + s.json.len()).sum::<usize>()
            + 4
            + self.attachments.iter().map(|a| 8 + a.sha2.len() + a.content_type.len() + a.content.len()).sum::<usize>()
    }

    /// The record value; an error when a field is too long for its length prefix (nothing is truncated).
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        self.check()?;
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(MAGIC);
        out.push(FORMAT);
        out.extend_from_slice(&(self.statements.len() as u32).to_be_bytes());
        for s in &self.statements {
            out.extend_from_slice(&s.fingerprint.to_be_bytes());
            out.extend_from_slice(&(s.json.len() as u32).to_be_bytes());
            out.extend_from_slice(s.json);
        }
        out.extend_from_slice(&(self.attachments.len() as u32).to_be_bytes());
        for a in &self.attachments {
            for field in [a.sha2.as_bytes(), a.content_type.as_bytes()] {
                out.extend_from_slice(&(field.len() as u16).to_be_bytes());
                out.extend_from_slice(field);
            }
            out.extend_from_slice(&(a.content.len() as u32).to_be_bytes());
            out.extend_from_slice(a.content);
        }
        Ok(out)
    }

    /// Every length fits its prefix (the fields are `&str`, so they are UTF-8 already).
    fn check(&self) -> Result<(), EnvelopeError> {
        let fits = |field: &'static str, len: usize, max: usize| {
            if len <= max {
                Ok(())
            } else {
                Err(EnvelopeError::TooLong { field, len, max })
            }
        };
        fits("statement count", self.statements.len(), MAX_LONG_FIELD)?;
        fits("attachment count", self.attachments.len(), MAX_LONG_FIELD)?;
        for s in &self.statements {
            fits("statement", s.json.len(), MAX_LONG_FIELD)?;
        }
        for a in &self.attachments {
            fits("attachment sha2", a.sha2.len(), MAX_SHORT_FIELD)?;
            fits("attachment content type", a.content_type.len(), MAX_SHORT_FIELD)?;
            fits("attachment content", a.content.len(), MAX_LONG_FIELD)?;
        }
        Ok(())
    }
}

/// Reads an envelope, borrowing every field from `bytes`. Malformed input is an error, never a panic.
pub fn decode(bytes: &[u8]) -> Result<Envelope<'_>, EnvelopeError> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(4)? != MAGIC || r.take(1)? != [FORMAT] {
        return Err(EnvelopeError::Format);
    }
    let count = r.u32()? as usize;
    // Each statement needs at least 12 bytes: a corrupt count cannot make us reserve gigabytes.
    let mut statements = Vec::with_capacity(count.min(r.remaining() / 12));
    for _ in 0..count {
        let fingerprint = u64::from_be_bytes(r.array()?);
        let len = r.u32()? as usize;
        statements.push(EnvelopeStatement { fingerprint, json: r.take(len)? });
    }
    let count = r.u32()? as usize;
    let mut attachments = Vec::with_capacity(count.min(r.remaining() / 8));
    for _ in 0..count {
        let sha2 = r.short_str()?;
        let content_type = r.short_str()?;
        let len = r.u32()? as usize;
        attachments.push(EnvelopeAttachment { sha2, content_type, content: r.take(len)? });
    }
    if r.remaining() != 0 {
        return Err(EnvelopeError::Trailing);
    }
    Ok(Envelope { statements, attachments })
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], EnvelopeError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or(EnvelopeError::Truncated)?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], EnvelopeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, EnvelopeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn short_str(&mut self) -> Result<&'a str, EnvelopeError> {
        let len = u16::from_be_bytes(self.array()?) as usize;
        std::str::from_utf8(self.take(len)?).map_err(|_| EnvelopeError::Utf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Envelope<'static> {
        Envelope {
            statements: vec![
                EnvelopeStatement { fingerprint: 7, json: b"{\"a\":\n1}" },
                EnvelopeStatement { fingerprint: u64::MAX, json: b"{}" },
            ],
            attachments: vec![EnvelopeAttachment { sha2: "ab12", content_type: "text/plain", content: &[0, 255, 10] }],
        }
    }

    #[test]
    fn round_trips() {
        let e = sample();
        let bytes = e.encode().unwrap();
        assert_eq!(bytes.len(), e.encoded_len());
        assert_eq!(decode(&bytes), Ok(e));
        let empty = Envelope::default();
        assert_eq!(decode(&empty.encode().unwrap()), Ok(empty));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = sample().encode().unwrap();
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "prefix of {n} bytes");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), Err(EnvelopeError::Trailing));
    }

    #[test]
    fn fields_too_long_for_their_prefix_are_refused_not_cut() {
        // 80 KB of a two-byte character: cut at 65,535 bytes it would end inside a character.
        let long = format!("text/plain; name={}", "é".repeat(40_000));
        let e = Envelope {
            statements: vec![],
            attachments: vec![EnvelopeAttachment { sha2: "ab", content_type: &long, content: b"x" }],
        };
        assert!(matches!(e.encode(), Err(EnvelopeError::TooLong { field: "attachment content type", .. })));
        let max = "a".repeat(MAX_SHORT_FIELD);
        let e = Envelope {
            statements: vec![],
            attachments: vec![EnvelopeAttachment { sha2: "ab", content_type: &max, content: b"x" }],
        };
        assert_eq!(decode(&e.encode().unwrap()), Ok(e));
    }

    #[test]
    fn foreign_bytes_are_rejected() {
        assert_eq!(decode(b"{\"id\":1}"), Err(EnvelopeError::Format));
        let mut huge_count = b"LRSE\x01".to_vec();
        huge_count.extend_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(decode(&huge_count), Err(EnvelopeError::Truncated));
    }
}

//! ISO 8601 timestamps as xAPI uses them, converted to and from Unix epoch milliseconds (the storage form).

/// A parsed timestamp: milliseconds since the Unix epoch (UTC), and whether the text carried a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    pub epoch_ms: i64,
    pub has_zone: bool,
    /// True for the `-00:00` offset, which RFC 3339 reserves for "unknown local offset".
    pub negative_zero_offset: bool,
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM|±HHMM|±HH]`. Fractions finer than a millisecond are
/// truncated; a leap second (`:60`) is accepted and counted as the next second.
pub fn parse(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let year = digits(b, 0, 4)? as i64;
    expect(b, 4, b'-')?;
    let month = digits(b, 5, 2)?;
    expect(b, 7, b'-')?;
    let day = digits(b, 8, 2)?;
    if b[10] != b'T' && b[10] != b't' {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    expect(b, 13, b':')?;
    let minute = digits(b, 14, 2)?;
    expect(b, 16, b':')?;
    let second = digits(b, 17, 2)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0u32;
    if i < b.len() && (b[i] == b'.' || b[i] == b',') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 3 {
                millis = millis * 10 + (b[i] - b'0') as u32;
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..3 {
            millis *= 10;
        }
    }
    let (offset_minutes, has_zone, negative_zero_offset) = if i == b.len() {
        (0i64, false, false)
    } else if (b[i] == b'Z' || b[i] == b'z') && i + 1 == b.len() {
        (0, true, false)
    } else if b[i] == b'+' || b[i] == b'-' {
        let sign = if b[i] == b'-' { -1 } else { 1 };
        let rest = &b[i + 1..];
        let (h, m) = match rest.len() {
            2 => (digits(rest, 0, 2)?, 0),
            4 => (digits(rest, 0, 2)?, digits(rest, 2, 2)?),
            5 if rest[2] == b':' => (digits(rest, 0, 2)?, digits(rest, 3, 2)?),
            _ => return None,
        };
        if h > 23 || m > 59 {
            return None;
        }
        let minutes = (h * 60 + m) as i64;
        (sign * minutes, true, sign < 0 && minutes == 0)
    } else {
        return None;
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour as i64 * 3600 + minute as i64 * 60 + second as i64 - offset_minutes * 60;
    Some(Timestamp { epoch_ms: secs * 1000 + millis as i64, has_zone, negative_zero_offset })
}

/// Formats epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form the LRS writes for `stored`.
pub fn format_ms(epoch_ms: i64) -> String {
    let secs = epoch_ms.div_euclid(1000);
    let millis = epoch_ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z", sod / 3600, (sod % 3600) / 60, sod % 60)
}

/// Formats epoch milliseconds as an HTTP date (RFC 7231 IMF-fixdate), for `Last-Modified`. Times before
/// 1970 (never stored) are shown as the epoch.
pub fn format_http_date(epoch_ms: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(epoch_ms.max(0) as u64);
    httpdate::fmt_http_date(at)
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let slice = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in slice {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

fn expect(b: &[u8], at: usize, c: u8) -> Option<()> {
    (b.get(at) == Some(&c)).then_some(())
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's civil-date algorithms: exact for the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        assert_eq!(parse("1970-01-01T00:00:00Z").map(|t| t.epoch_ms), Some(0));
        assert_eq!(parse("1970-01-01T00:00:01.5Z").map(|t| t.epoch_ms), Some(1500));
        assert_eq!(parse("2021-11-29T23:09:00.867219+00:00").map(|t| t.epoch_ms), Some(1_638_227_340_867));
        assert_eq!(parse("1970-01-01T01:00:00+01:00").map(|t| t.epoch_ms), Some(0));
        assert_eq!(parse("1970-01-01T01:00:00+0100").map(|t| t.epoch_ms), Some(0));
        assert_eq!(parse("1969-12-31T23:00:00-01").map(|t| t.epoch_ms), Some(0));
        let no_zone = parse("2020-02-29T12:00:00").expect("valid");
        assert!(!no_zone.has_zone);
        assert!(parse("2020-01-01T00:00:00-00:00").expect("valid").negative_zero_offset);
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "2020-13-01T00:00:00Z",
            "2021-02-29T00:00:00Z",
            "2020-01-01 00:00:00Z",
            "2020-01-01T24:00:00Z",
            "2020-01-01T00:00:00.Z",
            "2020-01-01T00:00:00+1",
            "2020-01-01T00:00:00Zjunk",
            "20200101T000000Z",
        ] {
            assert!(parse(s).is_none(), "{s} should not parse");
        }
    }

    #[test]
    fn formats_round_trip() {
        for ms in [0i64, 1, 999, 1_638_227_340_867, -1, 253_402_300_799_999] {
            assert_eq!(parse(&format_ms(ms)).map(|t| t.epoch_ms), Some(ms));
        }
        assert_eq!(format_ms(1_638_227_340_867), "2021-11-29T23:09:00.867Z");
        assert_eq!(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(format_http_date(1_638_227_340_867), "Mon, 29 Nov 2021 23:09:00 GMT");
    }
}

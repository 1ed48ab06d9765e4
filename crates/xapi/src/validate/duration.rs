//! ISO 8601:2004 durations in the format of section 4.4.3.2 (`PnYnMnDTnHnMnS` or `PnW`), the only form xAPI
//! allows; the alternative time-point-like format (`P0003-01-29T...`) is rejected.

/// Whether `s` is an ISO 8601 duration as xAPI allows it.
///
/// Rules: starts with `P`; either `nW` alone, or date components `Y`, `M`, `D` in that order followed by an
/// optional `T` and time components `H`, `M`, `S` in that order; at least one component; a `T` needs a time
/// component after it; only the last component may carry a decimal fraction (`.` or `,`). As a leniency for the
/// specification's own example (`P16559.14S`), a lone seconds component without `T` is accepted.
pub fn is_duration(s: &str) -> bool {
    let Some(body) = s.strip_prefix('P') else {
        return false;
    };
    if body.is_empty() {
        return false;
    }
    let (date, time) = match body.split_once('T') {
        Some((date, time)) => {
            if time.is_empty() {
                return false;
            }
            (date, Some(time))
        }
        None => (body, None),
    };
    let Some(date_parts) = components(date) else {
        return false;
    };
    let time_parts = match time {
        Some(t) => match components(t) {
            Some(parts) if !parts.is_empty() => parts,
            _ => return false,
        },
        None => Vec::new(),
    };
    if date_parts.is_empty() && time_parts.is_empty() {
        return false;
    }
    // Only the last component may have a fraction.
    let total = date_parts.len() + time_parts.len();
    let fractions_ok =
        date_parts.iter().chain(time_parts.iter()).enumerate().all(|(i, c)| !c.fraction || i + 1 == total);
    if !fractions_ok {
        return false;
    }
    let designators = |parts: &[Component]| parts.iter().map(|c| c.designator).collect::<Vec<u8>>();
    let date_designators = designators(&date_parts);
    let time_designators = designators(&time_parts);
    if date_designators == [b'W'] {
        return time_parts.is_empty();
    }
    if time.is_none() && date_designators == [b'S'] {
        return true; // P16559.14S, as in the specification's examples
    }
    in_order(&date_designators, b"YMD") && in_order(&time_designators, b"HMS")
}

struct Component {
    designator: u8,
    fraction: bool,
}

/// Splits `12Y3M4.5D` into components; `None` when a number or designator is malformed.
fn components(s: &str) -> Option<Vec<Component>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let mut fraction = false;
        if i < b.len() && (b[i] == b'.' || b[i] == b',') {
            i += 1;
            let frac_start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == frac_start {
                return None;
            }
            fraction = true;
        }
        let designator = *b.get(i)?;
        if !matches!(designator, b'Y' | b'M' | b'W' | b'D' | b'H' | b'S') {
            return None;
        }
        out.push(Component { designator, fraction });
        i += 1;
    }
    Some(out)
}

/// Each designator appears at most once and in the order of `allowed`.
fn in_order(designators: &[u8], allowed: &[u8]) -> bool {
    let mut next = 0;
    for d in designators {
        match allowed[next..].iter().position(|a| a == d) {
            Some(pos) => next += pos + 1,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_spec_examples_and_more() {
        for s in [
            "PT4H35M59.14S",
            "P16559.14S",
            "PT16559.14S",
            "P3Y1M29DT4H35M59.14S",
            "P3Y",
            "P4W",
            "PT1H0M0.1S",
            "P1DT12H36M0.12567S",
            "PT0S",
            "P0D",
            "P1M",
            "PT1M",
            "P1Y2M",
            "PT0,5S",
            "P0.5Y",
            "P2.5W",
            "PT36H",
        ] {
            assert!(is_duration(s), "{s} should be a duration");
        }
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "P",
            "PT",
            "P4W1D",
            "PA1H0M0S",
            "should fail",
            "4H",
            "P1H",
            "PT1D",
            "P1M1Y",
            "PT1S1M",
            "P1.5Y2M",
            "P1Y1Y",
            "P0003-01-29T04:35:59",
            "P1DT",
            "P-1D",
            "P1.D",
            "P.5D",
            "p1d",
            "P1DT1H1",
            "P1W2W",
            "PT1W",
        ] {
            assert!(!is_duration(s), "{s:?} should not be a duration");
        }
    }
}

//! The `result` property: score, success, completion, response, duration, extensions.

use super::{as_bool, as_number, as_object, as_str, duration, extensions, not_allowed, string, Checked, Path};
use serde_json::Value;

pub(crate) fn result(value: &Value, path: &Path) -> Checked {
    for (key, v) in as_object(value, path)? {
        let at = path.key(key);
        match key.as_str() {
            "score" => score(v, &at)?,
            "success" | "completion" => as_bool(v, &at)?,
            "response" => string(v, &at)?,
            "duration" => {
                if !duration::is_duration(as_str(v, &at)?) {
                    return Err(at.err("must be an ISO 8601 duration such as PT4H35M59.14S"));
                }
            }
            "extensions" => extensions::extensions(v, &at)?,
            _ => return Err(not_allowed(&at)),
        }
    }
    Ok(())
}

/// `scaled` in [-1, 1]; `raw`, `min`, `max` numbers with `min <= raw <= max` where present and `min <= max`.
fn score(value: &Value, path: &Path) -> Checked {
    let map = as_object(value, path)?;
    let (mut raw, mut min, mut max) = (None, None, None);
    for (key, v) in map {
        let at = path.key(key);
        match key.as_str() {
            "scaled" => {
                let scaled = as_number(v, &at)?;
                if !(-1.0..=1.0).contains(&scaled) {
                    return Err(at.err("must be between -1 and 1 inclusive"));
                }
            }
            "raw" => raw = Some(as_number(v, &at)?),
            "min" => min = Some(as_number(v, &at)?),
            "max" => max = Some(as_number(v, &at)?),
            _ => return Err(not_allowed(&at)),
        }
    }
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            return Err(path.key("min").err("must not be greater than max"));
        }
    }
    if let Some(raw) = raw {
        if min.is_some_and(|min| raw < min) {
            return Err(path.key("raw").err("must not be less than min"));
        }
        if max.is_some_and(|max| raw > max) {
            return Err(path.key("raw").err("must not be greater than max"));
        }
    }
    Ok(())
}

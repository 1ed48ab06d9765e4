//! What analytics count of a statement: the narrow row of dimensions and measures the processor writes once
//! per statement, so that no aggregate ever parses stored JSON.

use crate::agent::AgentView;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A statement's analytic dimensions and measures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    pub verb: String,
    /// The object's id when the object is an Activity, else empty.
    pub activity: String,
    /// `object.definition.type`.
    pub activity_type: String,
    /// The actor's identifying key (`mbox:…`, `sha1:…`, `openid:…`, `account:[home,name]`).
    pub actor: String,
    pub registration: String,
    pub platform: String,
    pub parents: Vec<String>,
    pub groupings: Vec<String>,
    pub score: Option<f64>,
    pub success: Option<bool>,
    pub completion: Option<bool>,
    pub duration_ms: Option<i64>,
}

/// Never fails: a property that is absent or of an unexpected shape is left empty.
pub fn fact(statement: &Value) -> Fact {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
    let object = statement.get("object");
    let is_activity =
        object.is_some_and(|o| matches!(o.get("objectType").and_then(Value::as_str), None | Some("Activity")));
    let (activity, activity_type) = match object {
        Some(o) if is_activity => (text(o.get("id")), text(o.get("definition").and_then(|d| d.get("type")))),
        _ => (String::new(), String::new()),
    };
    let context = statement.get("context");
    let result = statement.get("result");
    let ids = |kind: &str| -> Vec<String> {
        let list = context.and_then(|c| c.get("contextActivities")).and_then(|c| c.get(kind));
        // 0.9/1.0.0 clients may send a single object instead of an array.
        let items: Vec<&Value> = match list {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(o @ Value::Object(_)) => vec![o],
            _ => Vec::new(),
        };
        let mut out: Vec<String> = items.iter().filter_map(|a| a.get("id")?.as_str().map(str::to_string)).collect();
        out.sort();
        out.dedup();
        out
    };
    Fact {
        verb: text(statement.get("verb").and_then(|v| v.get("id"))),
        activity,
        activity_type,
        actor: statement.get("actor").and_then(AgentView::deserialize_from).and_then(|a| a.key()).unwrap_or_default(),
        registration: text(context.and_then(|c| c.get("registration"))).to_ascii_lowercase(),
        platform: text(context.and_then(|c| c.get("platform"))),
        parents: ids("parent"),
        groupings: ids("grouping"),
        score: result.and_then(|r| r.get("score")).and_then(|s| s.get("scaled")).and_then(Value::as_f64),
        success: result.and_then(|r| r.get("success")).and_then(Value::as_bool),
        completion: result.and_then(|r| r.get("completion")).and_then(Value::as_bool),
        duration_ms: result.and_then(|r| r.get("duration")).and_then(Value::as_str).and_then(duration_ms),
    }
}

/// An ISO 8601 duration in milliseconds. Years, months and weeks count as 365, 30 and 7 days: xAPI durations
/// are time spent, not calendar spans, and clients send seconds (`PT1H2M3.5S`) in practice.
pub fn duration_ms(iso: &str) -> Option<i64> {
    let rest = iso.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, t),
        Some(_) => return None,
        None => (rest, ""),
    };
    let mut total = 0f64;
    let mut any = false;
    let mut take = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                number.push(if c == ',' { '.' } else { c });
                continue;
            }
            let (_, ms) = units.iter().find(|(u, _)| *u == c)?;
            let n: f64 = number.parse().ok()?;
            total += n * ms;
            any = true;
            number.clear();
        }
        number.is_empty().then_some(())
    };
    const DAY: f64 = 86_400_000.0;
    take(date, &[('Y', 365.0 * DAY), ('M', 30.0 * DAY), ('W', 7.0 * DAY), ('D', DAY)])?;
    take(time, &[('H', 3_600_000.0), ('M', 60_000.0), ('S', 1000.0)])?;
    (any && total.is_finite() && total < 9.0e15).then(|| total.round() as i64)
}

/// The identifying JSON object of an agent key (the inverse of the key `fact` stores).
pub fn agent_of_key(key: &str) -> Value {
    let (kind, value) = key.split_once(':').unwrap_or(("", key));
    match kind {
        "mbox" => serde_json::json!({"mbox": value}),
        "sha1" => serde_json::json!({"mbox_sha1sum": value}),
        "openid" => serde_json::json!({"openid": value}),
        "account" => match serde_json::from_str::<[String; 2]>(value) {
            Ok([home_page, name]) => serde_json::json!({"account": {"homePage": home_page, "name": name}}),
            Err(_) => Value::Null,
        },
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_full_statement() {
        let f = fact(&json!({
            "actor": {"mbox": "mailto:a@x.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "http://x.org/video/1", "definition": {"type": "http://adlnet.gov/expapi/activities/media"}},
            "result": {"score": {"scaled": 0.75}, "success": true, "completion": false, "duration": "PT1M30.5S"},
            "context": {"registration": "EC531277-B57B-4C15-8D91-D292C5B2B8F7", "platform": "Moodle",
                        "contextActivities": {"parent": [{"id": "http://x.org/c/2"}, {"id": "http://x.org/c/1"}],
                                              "grouping": {"id": "http://x.org/prog"}}}
        }));
        assert_eq!(f.activity, "http://x.org/video/1");
        assert_eq!(f.activity_type, "http://adlnet.gov/expapi/activities/media");
        assert_eq!(f.actor, "mbox:mailto:a@x.org");
        assert_eq!(f.registration, "ec531277-b57b-4c15-8d91-d292c5b2b8f7");
        assert_eq!(f.parents, vec!["http://x.org/c/1", "http://x.org/c/2"]);
        assert_eq!(f.groupings, vec!["http://x.org/prog"]);
        assert_eq!(
            (f.score, f.success, f.completion, f.duration_ms),
            (Some(0.75), Some(true), Some(false), Some(90_500))
        );
        assert_eq!(agent_of_key(&f.actor), json!({"mbox": "mailto:a@x.org"}));
    }

    #[test]
    fn objects_that_are_not_activities_have_no_activity() {
        let f = fact(&json!({"actor": {"account": {"homePage": "http://h", "name": "n"}},
                            "verb": {"id": "http://v"}, "object": {"objectType": "Agent", "mbox": "mailto:b@x.org"}}));
        assert_eq!((f.activity.as_str(), f.activity_type.as_str()), ("", ""));
        assert_eq!(agent_of_key(&f.actor), json!({"account": {"homePage": "http://h", "name": "n"}}));
    }

    #[test]
    fn durations() {
        assert_eq!(duration_ms("PT0S"), Some(0));
        assert_eq!(duration_ms("PT1H"), Some(3_600_000));
        assert_eq!(duration_ms("P1DT2M"), Some(86_400_000 + 120_000));
        assert_eq!(duration_ms("P2W"), Some(14 * 86_400_000));
        assert_eq!(duration_ms("PT0,5S"), Some(500));
        for bad in ["", "P", "PT", "T1S", "PT1X", "PT1", "1S", "PTS"] {
            assert_eq!(duration_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        for v in [
            json!(null),
            json!([]),
            json!({"result": {"score": 1, "duration": 5}, "context": {"contextActivities": 3}}),
        ] {
            let _ = fact(&v);
        }
    }
}

use serde_json::{json, Value};
use std::io::BufRead;
use uuid::Uuid;

/// A small valid statement with a fresh id.
pub fn synthetic_statement(n: usize) -> Value {
    json!({
        "id": Uuid::new_v4().to_string(),
        "actor": {"objectType": "Agent", "mbox": format!("mailto:learner{}@example.com", n % 97)},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
        "object": {"id": format!("http://example.com/activities/{}", n % 13), "objectType": "Activity"},
        "result": {"score": {"scaled": 0.5}, "completion": true},
        "timestamp": "2024-05-01T10:00:00.000Z"
    })
}

/// `n` real statements from `shared/data/video-statements.ndjson.gz`, re-identified with fresh UUIDs so any
/// number of them can be stored; synthetic ones when the data file is not beside the clone.
pub fn real_statements(n: usize) -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/video-statements.ndjson.gz");
    let lines: Vec<Value> = std::fs::File::open(path)
        .ok()
        .map(|f| {
            std::io::BufReader::new(flate2::read::GzDecoder::new(f))
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| serde_json::from_str(&l).ok())
                .collect()
        })
        .unwrap_or_default();
    (0..n)
        .map(|i| match lines.get(i % lines.len().max(1)) {
            Some(s) => {
                let mut s = s.clone();
                s["id"] = json!(Uuid::new_v4().to_string());
                s
            }
            None => synthetic_statement(i),
        })
        .collect()
}

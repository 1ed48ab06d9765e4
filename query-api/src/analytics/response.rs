//! An aggregate's rows, as JSON (`columns`, `rows`, `consistent_through`) or CSV.

use super::params::{Aggregate, Dim, Format, Measure};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{SecondsFormat, TimeZone};
use serde_json::{json, Value};

pub struct Table {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Value>>,
}

fn number(v: &Value) -> Option<f64> {
    // 18.16 quotes 64-bit integers in JSON output.
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn dim_value(d: Dim, v: &Value, a: &Aggregate) -> Value {
    if d.is_bucket() {
        let start = number(v).and_then(|secs| a.tz.timestamp_opt(secs as i64, 0).single());
        return start.map_or(Value::Null, |t| json!(t.to_rfc3339_opts(SecondsFormat::Secs, true)));
    }
    match d {
        Dim::Weekday | Dim::HourOfDay => number(v).map_or(Value::Null, |n| json!(n as u64)),
        Dim::Score => number(v).map_or(Value::Null, |n| json!((n * 10.0).round() / 10.0)),
        Dim::Actor => v.as_str().map_or(Value::Null, xapi::analytics::agent_of_key),
        _ => v.clone(),
    }
}

fn measure_value(m: Measure, v: &Value) -> Value {
    match (m, number(v)) {
        (_, None) => Value::Null,
        (Measure::Statements | Measure::Actors | Measure::Activities | Measure::Registrations, Some(n)) => {
            json!(n as u64)
        }
        (_, Some(n)) if n.is_finite() => json!(n),
        _ => Value::Null,
    }
}

impl Table {
    pub fn from_json_compact(a: &Aggregate, text: &str) -> Result<Table, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let data = doc.get("data").and_then(Value::as_array).ok_or("no data")?;
        let mut rows = Vec::with_capacity(data.len());
        for row in data {
            let cells = row.as_array().ok_or("a row is not an array")?;
            if cells.len() != a.by.len() + a.measures.len() {
                return Err(format!("a row has {} columns", cells.len()));
            }
            let (dims, measures) = cells.split_at(a.by.len());
            let mut out: Vec<Value> = a.by.iter().zip(dims).map(|(d, v)| dim_value(*d, v, a)).collect();
            out.extend(a.measures.iter().zip(measures).map(|(m, v)| measure_value(*m, v)));
            rows.push(out);
        }
        Ok(Table { columns: a.column_names(), rows })
    }

    pub fn into_response(self, a: &Aggregate, through_ms: i64) -> Response {
        let through = xapi::time::format_ms(through_ms);
        match a.format {
            Format::Json => {
                let mut res = Json(json!({"columns": self.columns, "rows": self.rows, "consistent_through": through}))
                    .into_response();
                if let Ok(v) = through.parse() {
                    res.headers_mut().insert("x-experience-api-consistent-through", v);
                }
                res
            }
            Format::Csv => {
                let mut res = self.csv().into_response();
                res.headers_mut()
                    .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/csv; charset=utf-8"));
                if let Ok(v) = through.parse() {
                    res.headers_mut().insert("x-experience-api-consistent-through", v);
                }
                res
            }
        }
    }

    fn csv(&self) -> String {
        let mut out = String::new();
        let line = |cells: Vec<String>, out: &mut String| {
            out.push_str(&cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        };
        line(self.columns.iter().map(|c| c.to_string()).collect(), &mut out);
        for row in &self.rows {
            let cells = row
                .iter()
                .map(|v| match v {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            line(cells, &mut out);
        }
        out
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_from_clickhouse() {
        let a = Aggregate::parse("measures=statements,score_avg&by=actor,day&tz=Europe/Paris&format=csv").unwrap();
        let text = r#"{"data": [["mbox:mailto:a@x.org", 1714341600, "3", 0.5], ["account:[\"http://h\",\"n\"]", 1714428000, "1", null]]}"#;
        let t = Table::from_json_compact(&a, text).unwrap();
        assert_eq!(
            t.rows[0],
            vec![json!({"mbox": "mailto:a@x.org"}), json!("2024-04-29T00:00:00+02:00"), json!(3), json!(0.5)]
        );
        assert_eq!(t.rows[1][3], Value::Null);
        assert_eq!(
            t.csv(),
            "actor,day,statements,score_avg\r\n\"{\"\"mbox\"\":\"\"mailto:a@x.org\"\"}\",2024-04-29T00:00:00+02:00,3,0.5\r\n\
             \"{\"\"account\"\":{\"\"homePage\"\":\"\"http://h\"\",\"\"name\"\":\"\"n\"\"}}\",2024-04-30T00:00:00+02:00,1,\r\n"
        );
    }

    #[test]
    fn utc_buckets_end_in_z() {
        let a = Aggregate::parse("by=month").unwrap();
        let t = Table::from_json_compact(&a, r#"{"data": [[1714521600, "2"]]}"#).unwrap();
        assert_eq!(t.rows[0][0], json!("2024-05-01T00:00:00Z"));
    }
}

//! The OpenAPI 3 description of the analytics API, built from the same lists the parser accepts.

use super::params::{DIMS, MAX_LIMIT, MEASURES};
use serde_json::{json, Value};

pub fn document() -> Value {
    let measures: Vec<&str> = MEASURES.iter().map(|(n, _)| *n).collect();
    let dims: Vec<&str> = DIMS.iter().map(|(n, _)| *n).collect();
    let text = |description: &str| json!({"type": "string", "description": description});
    let param = |name: &str, description: &str| json!({"name": name, "in": "query", "required": false, "schema": text(description), "description": description});
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "LRS analytics",
            "version": "1.0.0",
            "description": "Aggregates of the stored statements, counted as GET /xapi/statements would return them: voided and voiding statements excluded, each statement once. Eventually consistent: `consistent_through` says how fresh an answer is."
        },
        "components": {"securitySchemes": {"basic": {"type": "http", "scheme": "basic"}}},
        "security": [{"basic": []}],
        "paths": {
            "/analytics/aggregate": {"get": {
                "summary": "Measures by up to two dimensions",
                "parameters": [
                    {"name": "measures", "in": "query", "schema": {"type": "string"}, "description": format!("Comma list of: {}. Default statements.", measures.join(", "))},
                    {"name": "by", "in": "query", "schema": {"type": "string"}, "description": format!("Comma list (zero to two) of: {}. Time buckets are given as their start, ISO 8601 with offset; weekday is 1-7 (Monday 1), hour_of_day 0-23.", dims.join(", "))},
                    param("since", "Only statements whose timestamp is at or after this ISO 8601 instant."),
                    param("until", "Only statements whose timestamp is before this ISO 8601 instant."),
                    param("verb", "A verb id."),
                    param("activity", "An activity id (the statement's object)."),
                    param("activity_type", "object.definition.type."),
                    param("agent", "An Agent's JSON, as in GET /xapi/statements: the actor."),
                    param("parent", "An activity id among context.contextActivities.parent."),
                    param("registration", "A registration UUID."),
                    param("platform", "context.platform."),
                    param("tz", "IANA time zone of the buckets (default UTC)."),
                    param("order", "A requested measure or dimension; prefix - for descending."),
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 100}},
                    {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}}
                ],
                "responses": {
                    "200": {"description": "The rows", "content": {
                        "application/json": {"schema": {"type": "object", "properties": {
                            "columns": {"type": "array", "items": {"type": "string"}},
                            "rows": {"type": "array", "items": {"type": "array", "items": {}}},
                            "consistent_through": {"type": "string", "format": "date-time"}
                        }}},
                        "text/csv": {"schema": {"type": "string"}}
                    }},
                    "400": {"description": "An unknown measure, dimension or parameter, a bad time or zone, more than two dimensions"},
                    "401": {"description": "No valid credential"},
                    "503": {"description": "The store could not answer"}
                }
            }}
        }
    })
}

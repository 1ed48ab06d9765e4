//! Response bodies of `GET /xapi/statements`: one statement or a StatementResult, as JSON or, with
//! `attachments=true`, as `multipart/mixed` (the JSON part first, then one part per attachment).

use super::fetch::Attachment;
use super::params::{percent_encode, Cursor, Format, CURSOR};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The path of the statements resource as clients reach it: the path of the public base URL (a deployment
/// behind a proxy under `/lrs` has `LRS_PUBLIC_URL=https://host/lrs`) followed by `/xapi/statements`.
pub fn statements_path(public_url: &str) -> String {
    let after_scheme = public_url.split_once("://").map_or(public_url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    let path = path.split(['?', '#']).next().unwrap_or("").trim_end_matches('/');
    format!("{path}/xapi/statements")
}

/// The `more` IRL: the same request from the cursor on (relative to the server, as xAPI allows).
pub fn more_link(statements_path: &str, passthrough: &[(String, String)], cursor: &Cursor) -> String {
    let mut link = String::from(statements_path);
    let mut sep = '?';
    for (name, value) in passthrough {
        link.push(sep);
        link.push_str(&percent_encode(name));
        link.push('=');
        link.push_str(&percent_encode(value));
        sep = '&';
    }
    link.push(sep);
    link.push_str(CURSOR);
    link.push('=');
    link.push_str(&cursor.encode());
    link
}

/// One statement's JSON in the requested format. `exact` is the stored text itself, untouched.
pub fn format_statement(raw: String, format: Format, accept_language: &str) -> String {
    if format == Format::Exact {
        return raw;
    }
    let value: Value = match serde_json::from_str(&raw) {
        Ok(v) => v,
        Err(e) => {
            // Stored statements were validated JSON; should one not parse, serve it as stored.
            tracing::error!(error = %e, "stored statement is not JSON");
            return raw;
        }
    };
    let formatted = match format {
        Format::Ids => xapi::format::ids_format(&value),
        Format::Canonical => xapi::format::canonical_format(&value, accept_language),
        Format::Exact => value,
    };
    serde_json::to_string(&formatted).unwrap_or(raw)
}

/// `{"statements":[...],"more":"..."}` from statements already serialised.
pub fn statement_result(statements: &[String], more: &str) -> String {
    let more = serde_json::to_string(more).unwrap_or_else(|_| "\"\"".into());
    let mut body = String::with_capacity(statements.iter().map(|s| s.len() + 1).sum::<usize>() + more.len() + 32);
    body.push_str("{\"statements\":[");
    for (i, s) in statements.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(s);
    }
    body.push_str("],\"more\":");
    body.push_str(&more);
    body.push('}');
    body
}

/// The distinct `sha2` of the attachments these statements (and their SubStatements) declare, in order of
/// first appearance.
pub fn attachment_hashes<'a>(raws: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct View {
        #[serde(default)]
        attachments: Vec<Declared>,
        #[serde(default)]
        object: Option<Box<View>>,
    }
    #[derive(serde::Deserialize)]
    struct Declared {
        #[serde(default)]
        sha2: Option<String>,
    }
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for raw in raws {
        let Ok(view) = serde_json::from_str::<View>(raw) else { continue };
        let nested = view.object.map(|o| o.attachments).unwrap_or_default();
        for sha2 in view.attachments.into_iter().chain(nested).filter_map(|a| a.sha2) {
            if seen.insert(sha2.clone()) {
                out.push(sha2);
            }
        }
    }
    out
}

/// 200 with a JSON body.
pub fn json(body: String, last_modified_ms: Option<i64>) -> Response {
    let mut res = (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    set_last_modified(&mut res, last_modified_ms);
    res
}

/// One body part for `xapi::multipart::build`: header fields and content.
type Part<'a> = (Vec<(String, String)>, &'a [u8]);

/// 200 with a `multipart/mixed` body: the JSON first, then each attachment the store has, in `attachments`'
/// order (the order of the hashes asked for).
pub fn multipart(json: String, attachments: &[Attachment], last_modified_ms: Option<i64>) -> Response {
    let mut contents: Vec<&[u8]> = vec![json.as_bytes()];
    contents.extend(attachments.iter().map(|a| a.content.as_slice()));
    let boundary = xapi::multipart::choose_boundary(&contents);
    let mut parts: Vec<Part> =
        vec![(vec![("Content-Type".to_string(), "application/json".to_string())], json.as_bytes())];
    for a in attachments {
        parts.push((
            vec![
                ("Content-Type".to_string(), a.content_type.clone()),
                ("Content-Transfer-Encoding".to_string(), "binary".to_string()),
                ("X-Experience-API-Hash".to_string(), a.sha2.clone()),
            ],
            a.content.as_slice(),
        ));
    }
    let body = xapi::multipart::build(&boundary, &parts);
    let content_type = format!("multipart/mixed; boundary={boundary}");
    let mut res = (StatusCode::OK, body).into_response();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    set_last_modified(&mut res, last_modified_ms);
    res
}

fn set_last_modified(res: &mut Response, ms: Option<i64>) {
    if let Some(ms) = ms {
        if let Ok(v) = HeaderValue::from_str(&xapi::time::format_http_date(ms)) {
            res.headers_mut().insert(header::LAST_MODIFIED, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn statements_path_follows_the_public_url() {
        assert_eq!(statements_path("http://127.0.0.1:8080"), "/xapi/statements");
        assert_eq!(statements_path("http://127.0.0.1:8080/"), "/xapi/statements");
        assert_eq!(statements_path("https://lrs.example.com/lrs/"), "/lrs/xapi/statements");
        assert_eq!(statements_path("https://lrs.example.com/a/b?x=1"), "/a/b/xapi/statements");
    }

    #[test]
    fn more_repeats_the_parameters_and_adds_the_cursor() {
        let c = Cursor { stored_ms: 5, id: Uuid::nil(), bound_ms: 9 };
        let pass = vec![("agent".to_string(), r#"{"mbox":"mailto:a@b.c"}"#.to_string()), ("limit".into(), "1".into())];
        assert_eq!(
            more_link("/xapi/statements", &pass, &c),
            "/xapi/statements?agent=%7B%22mbox%22%3A%22mailto%3Aa%40b.c%22%7D&limit=1&cursor=5_00000000000000000000000000000000_9"
        );
        assert_eq!(
            more_link("/p/xapi/statements", &[], &c),
            "/p/xapi/statements?cursor=5_00000000000000000000000000000000_9"
        );
        // The link decodes back to the same parameters.
        let link = more_link("/xapi/statements", &pass, &c);
        let query = link.split_once('?').map(|(_, q)| q).unwrap_or("");
        let decoded = crate::statements::params::decode_query(query).expect("decodes");
        assert_eq!(&decoded[..2], &pass[..]);
    }

    #[test]
    fn statement_result_concatenates_stored_json() {
        let body = statement_result(&[r#"{"id":"a"}"#.into(), r#"{"id":"b"}"#.into()], "/x?cursor=1");
        assert_eq!(body, r#"{"statements":[{"id":"a"},{"id":"b"}],"more":"/x?cursor=1"}"#);
        let v: Value = serde_json::from_str(&statement_result(&[], "")).expect("JSON");
        assert_eq!(v, serde_json::json!({"statements": [], "more": ""}));
    }

    #[test]
    fn exact_is_untouched() {
        let raw = "{ \"id\" : \"x\",\"verb\":{\"id\":\"http://v\",\"display\":{\"en\":\"v\"}} }".to_string();
        assert_eq!(format_statement(raw.clone(), Format::Exact, ""), raw);
        let ids: Value = serde_json::from_str(&format_statement(raw, Format::Ids, "")).expect("JSON");
        assert_eq!(ids["verb"], serde_json::json!({"id": "http://v"}));
    }

    #[test]
    fn hashes_are_distinct_and_include_substatements() {
        let a = r#"{"attachments":[{"sha2":"aa"},{"sha2":"bb"}],"object":{"objectType":"SubStatement","attachments":[{"sha2":"cc"}]}}"#;
        let b = r#"{"attachments":[{"sha2":"bb"},{"fileUrl":"http://x"}],"object":{"id":"http://a"}}"#;
        assert_eq!(attachment_hashes([a, b, "not json"]), vec!["aa", "bb", "cc"]);
    }

    #[test]
    fn multipart_parts() {
        let att = Attachment { sha2: "ab12".into(), content_type: "text/plain".into(), content: b"hello".to_vec() };
        let res = multipart("{\"id\":\"x\"}".into(), &[att], Some(0));
        let ct = res.headers()[header::CONTENT_TYPE].to_str().unwrap().to_string();
        assert!(ct.starts_with("multipart/mixed; boundary="), "{ct}");
        assert_eq!(res.headers()[header::LAST_MODIFIED], "Thu, 01 Jan 1970 00:00:00 GMT");
        let boundary = xapi::multipart::boundary(&ct).expect("boundary");
        let body = futures_body(res);
        let parts = xapi::multipart::parse(&boundary, &body).expect("parses");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].header("content-type"), Some("application/json"));
        assert_eq!(parts[0].body, b"{\"id\":\"x\"}");
        assert_eq!(parts[1].header("x-experience-api-hash"), Some("ab12"));
        assert_eq!(parts[1].header("content-transfer-encoding"), Some("binary"));
        assert_eq!(parts[1].body, b"hello");
    }

    fn futures_body(res: Response) -> Vec<u8> {
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        rt.block_on(async {
            axum::body::to_bytes(res.into_body(), usize::MAX).await.map(|b| b.to_vec()).unwrap_or_default()
        })
    }
}

//! The xAPI 1.0.3 alternate request syntax (Communication 1.3), for browsers that cannot send arbitrary
//! methods or headers cross-origin: a `POST <resource>?method=GET|HEAD|PUT|POST|DELETE` whose
//! `application/x-www-form-urlencoded` body carries the headers (`Authorization`, `X-Experience-API-Version`,
//! `Content-Type`, `Content-Length`, `If-Match`, `If-None-Match`), the request content (`content`) and every
//! resource parameter. [`rewrite`] turns such a request into the ordinary one (method, headers, query string,
//! body) before routing and authentication, so the resources never see the difference.
//!
//! Rejected with 400: a `method` parameter on anything but a POST, any other query parameter next to it, an
//! unknown method, a body that is not a form, a repeated form field; and any use of the syntax with xAPI 2.0
//! (IEEE 9274.1.1 removed it). Bodies over the limit get 413.

use super::{error_response, VERSION_HEADER};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue, Method, Request, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use xapi::XapiVersion;

/// The form fields the LRS treats as headers (matched case-insensitively, like header names).
const HEADER_FIELDS: &[&str] =
    &["authorization", "x-experience-api-version", "content-type", "content-length", "if-match", "if-none-match"];

/// The content type assumed for `content` when the form names none (xAPI content is JSON).
const DEFAULT_CONTENT_TYPE: &str = "application/json";

/// Why a request using the syntax is rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub status: StatusCode,
    pub message: String,
}

fn bad(message: impl Into<String>) -> Rejection {
    Rejection { status: StatusCode::BAD_REQUEST, message: message.into() }
}

/// The ordinary request an alternate-syntax request stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    pub method: Method,
    /// Path and query string.
    pub uri: String,
    /// Headers to set (lower-case names), replacing the request's own.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The `method` of an alternate-syntax query string, `None` when the request does not use the syntax. Errors
/// when `method` comes with other parameters or names no xAPI method.
pub fn intended_method(query: Option<&str>) -> Result<Option<Method>, Rejection> {
    let Some(query) = query else { return Ok(None) };
    let pairs = super::form::decode(query).map_err(|e| bad(format!("query string: {e}")))?;
    let Some((_, method)) = pairs.iter().find(|(n, _)| n == "method") else { return Ok(None) };
    if pairs.len() != 1 {
        return Err(bad(
            "the alternate request syntax allows only the method parameter in the query string; send the others as form fields",
        ));
    }
    match method.to_ascii_uppercase().as_str() {
        "GET" => Ok(Some(Method::GET)),
        "HEAD" => Ok(Some(Method::HEAD)),
        "PUT" => Ok(Some(Method::PUT)),
        "POST" => Ok(Some(Method::POST)),
        "DELETE" => Ok(Some(Method::DELETE)),
        other => {
            Err(bad(format!("the alternate request syntax method {other:?} is not GET, HEAD, PUT, POST or DELETE")))
        }
    }
}

/// Rewrites the form body `form` of a request to `path` into the request it stands for (pure).
pub fn rewrite_form(method: Method, path: &str, form: &[u8]) -> Result<Rewritten, Rejection> {
    let form = std::str::from_utf8(form).map_err(|_| bad("the form body is not UTF-8"))?;
    let fields = super::form::decode(form.trim_end_matches(['\r', '\n']))
        .map_err(|e| bad(format!("the form body is not application/x-www-form-urlencoded: {e}")))?;
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut params: Vec<(&str, &str)> = Vec::new();
    let mut content: Option<&str> = None;
    let mut seen = std::collections::HashSet::new();
    for (name, value) in &fields {
        if !is_field_name(name) {
            return Err(bad(format!(
                "the form body is not application/x-www-form-urlencoded (field name {:?})",
                name.chars().take(40).collect::<String>()
            )));
        }
        let lower = name.to_ascii_lowercase();
        let is_header = HEADER_FIELDS.contains(&lower.as_str());
        if !seen.insert(if is_header { lower.clone() } else { name.clone() }) {
            return Err(bad(format!("form field {name:?} given more than once")));
        }
        if is_header {
            // The form's Content-Length describes `content`; the rewritten request's own length is set below.
            if lower != "content-length" {
                headers.push((lower, value.clone()));
            }
        } else if name == "content" {
            content = Some(value.as_str());
        } else if name == "method" {
            return Err(bad("method belongs in the query string of an alternate request, not in the form"));
        } else {
            params.push((name.as_str(), value.as_str()));
        }
    }
    if let Some(v) = headers.iter().find(|(n, _)| n == VERSION_HEADER).and_then(|(_, v)| XapiVersion::from_header(v)) {
        if v == XapiVersion::V2_0_0 {
            return Err(not_in_2_0());
        }
    }
    let body = content.unwrap_or("").as_bytes().to_vec();
    if content.is_some() && !headers.iter().any(|(n, _)| n == "content-type") {
        headers.push(("content-type".into(), DEFAULT_CONTENT_TYPE.into()));
    }
    headers.push(("content-length".into(), body.len().to_string()));
    let uri = if params.is_empty() { path.to_string() } else { format!("{path}?{}", super::form::encode(params)) };
    Ok(Rewritten { method, uri, headers, body })
}

/// xAPI parameter names and header names: letters, digits, `-` and `_`. Anything else means the body was
/// not really a form (JSON sent with a form content type, for instance).
fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn not_in_2_0() -> Rejection {
    bad("the alternate request syntax (?method=) is not part of xAPI 2.0; send the request with its own method and headers")
}

/// Whether the request's content type allows a form body: a form, or none / text/plain (what IE's
/// XDomainRequest sends).
fn form_content_type(value: Option<&HeaderValue>) -> bool {
    let Some(value) = value else { return true };
    let essence = value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    matches!(essence.as_str(), "application/x-www-form-urlencoded" | "text/plain" | "")
}

/// Middleware (state: the form body limit in bytes), to wrap around the whole router: rewrites
/// alternate-syntax requests, passes every other request through untouched. The form is read before the
/// request can be authenticated (its credentials are inside), so its limit is far below the body limit.
pub async fn rewrite(State(max_body_bytes): State<usize>, req: Request<Body>, next: Next) -> Response {
    let method = match intended_method(req.uri().query()) {
        Ok(None) => return next.run(req).await,
        Ok(Some(m)) => m,
        Err(r) => return reject(&req, r),
    };
    let outer_version =
        req.headers().get(VERSION_HEADER).and_then(|v| v.to_str().ok()).and_then(XapiVersion::from_header);
    if outer_version == Some(XapiVersion::V2_0_0) {
        return reject(&req, not_in_2_0());
    }
    if *req.method() != Method::POST {
        return reject(&req, bad("a request using the alternate request syntax (?method=) must be a POST"));
    }
    if !form_content_type(req.headers().get(header::CONTENT_TYPE)) {
        return reject(
            &req,
            bad("a request using the alternate request syntax must have an application/x-www-form-urlencoded body"),
        );
    }
    let too_large = Rejection {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        message: format!("the request body exceeds {max_body_bytes} bytes"),
    };
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_body_bytes as u64) {
        return reject(&req, too_large);
    }
    let (mut parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, max_body_bytes).await {
        Ok(b) => b,
        Err(e) => {
            let rejection = match super::limits::timed_out(&e) {
                Some(t) => Rejection {
                    status: StatusCode::REQUEST_TIMEOUT,
                    message: format!("the form body was not received within {t:?}"),
                },
                None => too_large,
            };
            return reject_parts(&parts.headers, rejection);
        }
    };
    let rewritten = match rewrite_form(method, parts.uri.path(), &bytes) {
        Ok(r) => r,
        Err(r) => return reject_parts(&parts.headers, r),
    };
    let Ok(uri) = rewritten.uri.parse::<Uri>() else {
        return reject_parts(&parts.headers, bad("the form fields do not make a valid request URI"));
    };
    parts.method = rewritten.method;
    parts.uri = uri;
    for name in [header::CONTENT_TYPE, header::CONTENT_LENGTH, header::CONTENT_ENCODING, header::TRANSFER_ENCODING] {
        parts.headers.remove(name);
    }
    for (name, value) in &rewritten.headers {
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) else {
            return reject_parts(&parts.headers, bad(format!("form field {name:?} is not a valid header value")));
        };
        parts.headers.insert(name, value);
    }
    next.run(Request::from_parts(parts, Body::from(rewritten.body))).await
}

fn reject(req: &Request<Body>, r: Rejection) -> Response {
    reject_parts(req.headers(), r)
}

/// The error answer; this middleware runs outside the version header middleware, so it sets the header.
fn reject_parts(headers: &axum::http::HeaderMap, r: Rejection) -> Response {
    let mut res = error_response(r.status, r.message);
    let version = super::versioning::response_version(headers);
    res.headers_mut().insert(VERSION_HEADER, HeaderValue::from_static(version.header_value()));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(r: &'a Rewritten, name: &str) -> Option<&'a str> {
        r.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn detects_the_syntax() {
        assert_eq!(intended_method(None), Ok(None));
        assert_eq!(intended_method(Some("statementId=x")), Ok(None));
        assert_eq!(intended_method(Some("method=GET")), Ok(Some(Method::GET)));
        assert_eq!(intended_method(Some("method=put")), Ok(Some(Method::PUT)));
        assert_eq!(intended_method(Some("method=DELETE")), Ok(Some(Method::DELETE)));
        assert!(intended_method(Some("method=PATCH")).is_err());
        assert!(intended_method(Some("method=PUT&statementId=x")).is_err(), "extra query parameter");
        assert!(intended_method(Some("method=GET&method=GET")).is_err());
    }

    #[test]
    fn put_with_headers_and_parameters() {
        let form = "statementId=6f1c7a8e-0000-4000-8000-000000000001&X-Experience-API-Version=1.0.3\
            &Authorization=Basic+YTpi&content=%7B%22a%22%3A1%7D&Content-Length=7";
        let r = rewrite_form(Method::PUT, "/xapi/statements", form.as_bytes()).unwrap();
        assert_eq!(r.method, Method::PUT);
        assert_eq!(r.uri, "/xapi/statements?statementId=6f1c7a8e-0000-4000-8000-000000000001");
        assert_eq!(r.body, br#"{"a":1}"#);
        assert_eq!(header(&r, "x-experience-api-version"), Some("1.0.3"));
        assert_eq!(header(&r, "authorization"), Some("Basic YTpi"));
        assert_eq!(header(&r, "content-type"), Some(DEFAULT_CONTENT_TYPE));
        assert_eq!(header(&r, "content-length"), Some("7"));
    }

    #[test]
    fn get_with_parameters_and_no_content() {
        let form = "limit=1&agent=%7B%22mbox%22%3A%22mailto%3Aa%40example.com%22%7D&If-None-Match=%22abc%22";
        let r = rewrite_form(Method::GET, "/xapi/statements", form.as_bytes()).unwrap();
        assert_eq!(r.uri, "/xapi/statements?limit=1&agent=%7B%22mbox%22%3A%22mailto%3Aa%40example.com%22%7D");
        assert!(r.body.is_empty());
        assert_eq!(header(&r, "content-type"), None);
        assert_eq!(header(&r, "if-none-match"), Some("\"abc\""));
        let r = rewrite_form(Method::GET, "/xapi/about", b"").unwrap();
        assert_eq!(r.uri, "/xapi/about");
    }

    #[test]
    fn explicit_content_type_is_kept() {
        let r =
            rewrite_form(Method::PUT, "/xapi/activities/state", b"content=hello&Content-Type=text%2Fplain").unwrap();
        assert_eq!(header(&r, "content-type"), Some("text/plain"));
        assert_eq!(r.body, b"hello");
    }

    #[test]
    fn rejects_what_is_not_a_form() {
        let json = br#"{"statementId":"x","content":"{}","X-Experience-API-Version":"1.0.3"}"#;
        assert!(rewrite_form(Method::PUT, "/xapi/statements", json).is_err());
        assert!(rewrite_form(Method::PUT, "/xapi/statements", b"a=1&a=2").is_err());
        assert!(rewrite_form(Method::PUT, "/xapi/statements", b"authorization=x&Authorization=y").is_err());
        assert!(rewrite_form(Method::PUT, "/xapi/statements", b"a=%zz").is_err());
        assert!(rewrite_form(Method::PUT, "/xapi/statements", b"method=GET").is_err());
        assert!(rewrite_form(Method::PUT, "/xapi/statements", &[b'a', b'=', 0xff]).is_err());
    }

    #[test]
    fn not_in_xapi_2_0() {
        let r = rewrite_form(Method::PUT, "/xapi/statements", b"X-Experience-API-Version=2.0.0&content=%7B%7D");
        assert_eq!(r.unwrap_err().status, StatusCode::BAD_REQUEST);
        // An unsupported version is passed on: the resource answers 400 for it as for any request.
        let r = rewrite_form(Method::PUT, "/xapi/statements", b"X-Experience-API-Version=0.8").unwrap();
        assert_eq!(header(&r, "x-experience-api-version"), Some("0.8"));
    }

    #[test]
    fn content_types() {
        assert!(form_content_type(None));
        assert!(form_content_type(Some(&HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"))));
        assert!(form_content_type(Some(&HeaderValue::from_static("text/plain"))));
        assert!(!form_content_type(Some(&HeaderValue::from_static("application/json"))));
    }
}

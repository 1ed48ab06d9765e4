//! What wraps a whole service, outside routing, from the outside in: the request id, CORS for browser
//! clients, the JSON body of every error, the request limits, and the alternate request syntax.
//!
//! They run before routing: a CORS preflight (`OPTIONS`) is answered here, without credentials or a version
//! header; an alternate-syntax request changes its method and query string, which routing depends on (a
//! middleware added with `Router::layer` runs after routing, so it could not change the route); and routing's
//! own 404 and 405 need the JSON error body.

use crate::config::HttpLimits;
use axum::http::{header, HeaderName, Method};
use axum::Router;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// CORS on every route: any origin, the xAPI methods and request headers; the xAPI response headers are
/// readable by scripts. Credentials travel in `Authorization` (allowed explicitly: a wildcard would not cover
/// it), never in cookies, so the wildcard origin is safe.
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static(super::VERSION_HEADER),
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::CONTENT_ENCODING,
            HeaderName::from_static("x-requested-with"),
            HeaderName::from_static(super::request_id::HEADER),
        ])
        .expose_headers([
            header::ETAG,
            header::LAST_MODIFIED,
            HeaderName::from_static(super::VERSION_HEADER),
            HeaderName::from_static(super::CONSISTENT_THROUGH_HEADER),
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
            HeaderName::from_static(super::request_id::HEADER),
        ])
        .max_age(Duration::from_secs(86_400))
}

/// `router` wrapped in everything a service needs outside routing.
pub fn edge(router: Router, limits: HttpLimits) -> Router {
    let service = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn(super::request_id::assign))
        .layer(cors())
        .layer(axum::middleware::from_fn(super::json_errors))
        .layer(axum::middleware::from_fn_with_state(limits, super::limits::limit_request))
        .layer(axum::middleware::from_fn_with_state(limits.max_form_bytes, super::alternate::rewrite))
        .service(router);
    Router::new().fallback_service(service)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    /// Echoes what the route saw: method, query, a header or two and the body.
    async fn echo(req: Request<Body>) -> String {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        let h = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("-").to_string();
        format!(
            "{} {} v={} auth={} ct={} cl={} body={}",
            parts.method,
            parts.uri,
            h("x-experience-api-version"),
            h("authorization"),
            h("content-type"),
            h("content-length"),
            String::from_utf8_lossy(&body)
        )
    }

    fn app() -> Router {
        let inner = Router::new().route("/xapi/statements", get(echo).put(echo).post(echo));
        let limits = crate::Settings::from_lookup(|_| None).expect("defaults").http;
        edge(inner, crate::config::HttpLimits { max_form_bytes: 1024, ..limits })
    }

    async fn send(req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let res = app().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (parts.status, parts.headers, String::from_utf8_lossy(&body).into_owned())
    }

    fn form(uri: &str, body: &str) -> Request<Body> {
        Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-experience-api-version", "1.0.3")
            .header("authorization", "Basic outer")
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    #[tokio::test]
    async fn ordinary_requests_pass_untouched() {
        let req =
            Request::get("/xapi/statements?limit=1").header("x-experience-api-version", "1.0.3").body(Body::empty());
        let (status, _, body) = send(req.unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.starts_with("GET /xapi/statements?limit=1 v=1.0.3"), "{body}");
    }

    #[tokio::test]
    async fn alternate_get_is_routed_as_a_get() {
        let (status, _, body) = send(form("/xapi/statements?method=GET", "limit=1")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "GET /xapi/statements?limit=1 v=1.0.3 auth=Basic outer ct=- cl=0 body=");
    }

    #[tokio::test]
    async fn alternate_put_takes_headers_from_the_form() {
        let (status, _, body) = send(form(
            "/xapi/statements?method=PUT",
            "statementId=abc&Authorization=Basic+inner&X-Experience-API-Version=1.0.1&content=%7B%7D",
        ))
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            "PUT /xapi/statements?statementId=abc v=1.0.1 auth=Basic inner ct=application/json cl=2 body={}"
        );
    }

    #[tokio::test]
    async fn alternate_rejections() {
        let put = Request::put("/xapi/statements?method=POST")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("content=%7B%7D"))
            .unwrap();
        assert_eq!(send(put).await.0, StatusCode::BAD_REQUEST, "not a POST");
        assert_eq!(send(form("/xapi/statements?method=PUT&statementId=x", "")).await.0, StatusCode::BAD_REQUEST);
        let json = Request::post("/xapi/statements?method=PUT")
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        assert_eq!(send(json).await.0, StatusCode::BAD_REQUEST, "not a form");
        let big = "content=".to_string() + &"a".repeat(2000);
        let (status, headers, _) = send(form("/xapi/statements?method=PUT", &big)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(headers["x-experience-api-version"], "1.0.3");
        assert!(headers.contains_key("access-control-allow-origin"), "errors carry CORS headers too");
    }

    #[tokio::test]
    async fn alternate_syntax_is_not_xapi_2_0() {
        let mut req = form("/xapi/statements?method=GET", "limit=1");
        req.headers_mut().insert("x-experience-api-version", "2.0.0".parse().unwrap());
        let (status, headers, _) = send(req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(headers["x-experience-api-version"], "2.0.0");
        let (status, _, _) = send(form("/xapi/statements?method=GET", "X-Experience-API-Version=2.0.0")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn preflight_is_answered_without_credentials() {
        let req = Request::options("/xapi/statements")
            .header("origin", "https://course.example.com")
            .header("access-control-request-method", "PUT")
            .header("access-control-request-headers", "authorization, content-type, x-experience-api-version")
            .body(Body::empty())
            .unwrap();
        let (status, headers, _) = send(req).await;
        assert!(status.is_success(), "{status}");
        assert_eq!(headers["access-control-allow-origin"], "*");
        let allowed = headers["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
        assert!(allowed.contains("authorization") && allowed.contains("x-experience-api-version"), "{allowed}");
        assert!(headers["access-control-allow-methods"].to_str().unwrap().contains("PUT"));
    }

    #[tokio::test]
    async fn responses_expose_the_xapi_headers() {
        let req = Request::get("/xapi/statements").header("origin", "https://course.example.com").body(Body::empty());
        let (_, headers, _) = send(req.unwrap()).await;
        assert_eq!(headers["access-control-allow-origin"], "*");
        let exposed = headers["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
        for h in ["etag", "last-modified", "x-experience-api-version", "x-experience-api-consistent-through"] {
            assert!(exposed.contains(h), "{exposed}");
        }
    }
}

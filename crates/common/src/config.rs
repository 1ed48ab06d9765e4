//! Settings from the environment (`LRS_*`), shared by every binary so that one `.env` drives the whole stack.

use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    pub kafka_brokers: String,
    /// Producer linger: how long records wait to share a broker request.
    pub kafka_linger_ms: u64,
    /// How long a record may wait for room in the producer's queue before its request fails (503).
    pub kafka_enqueue_timeout: Duration,
    /// How long the producer keeps trying to deliver a record before its request fails (503).
    pub kafka_delivery_timeout: Duration,
    /// Replication factor `lrsctl migrate` creates topics with.
    pub kafka_replication: i32,
    pub statements_topic: String,
    pub dead_letter_topic: String,
    /// Document write commands (State, Activity Profile, Agent Profile), applied by the processor.
    pub documents_topic: String,
    /// The statement-id log: the ids the processors wrote, which gateways tail for the 409 check.
    pub ids_topic: String,
    /// The analytics stage's input: one record per statement decision, keyed by the statement id it concerns.
    pub facts_topic: String,
    /// Where the dashboard's installed web assets are (`web/`, with `node_modules` after install).
    pub web_dir: std::path::PathBuf,
    /// Whether the processor maintains analytics (the facts stage); off only to measure what it costs.
    pub analytics: bool,
    /// How long a gateway asks ClickHouse about an id it cannot rule out before accepting the write anyway.
    pub conflict_lookup_timeout: Duration,
    /// The gateway refuses statement writes (503, Retry-After) while the processors are further behind than
    /// this; zero turns the refusal off.
    pub max_lag: Duration,
    /// How long a read waits for the writes acknowledged before it started to become readable.
    pub read_wait: Duration,
    pub consumer_group: String,
    pub clickhouse_url: String,
    pub clickhouse_database: String,
    pub clickhouse_user: String,
    pub clickhouse_password: String,
    /// The bound on every ClickHouse query unless a call expects to run longer.
    pub clickhouse_timeout: Duration,
    /// The bound on one processor insert.
    pub clickhouse_insert_timeout: Duration,
    /// The store (tenant) every statement of the dev credential belongs to.
    pub dev_store: String,
    pub dev_key: String,
    pub dev_secret: String,
    /// The operator's credential for the admin API (empty key: no admin API).
    pub admin_key: String,
    pub admin_secret: String,
    /// How often every replica reloads the stored credentials (a revoked key stops working within this).
    pub credentials_refresh: Duration,
    /// Requests a second each credential may make on one replica (0: no limit), and how many at once.
    pub rate_limit_per_s: f64,
    pub rate_limit_burst: f64,
    pub ingest_addr: SocketAddr,
    pub query_addr: SocketAddr,
    pub processor_addr: SocketAddr,
    pub max_body_bytes: usize,
    /// Timeouts and size limits of every HTTP service.
    pub http: HttpLimits,
    pub batch_max_rows: usize,
    pub batch_max_bytes: usize,
    pub batch_max_wait: Duration,
    /// A batch is written once no record arrived for this long (the partitions are drained).
    pub batch_idle: Duration,
    /// The analytics stage's batch window: analytics need no read-your-writes, and each of its inserts feeds a
    /// dozen materialized views, so it writes larger batches less often than the statements stage.
    pub analytics_batch_wait: Duration,
    /// Allowance for gateway clocks and in-flight produces in consistency watermarks.
    pub consistency_skew_ms: i64,
    pub shutdown_grace: Duration,
    /// The public base URL, used for `more` links and the authority's homePage.
    pub public_url: String,
    /// When the gateway answers a write: once Kafka has it (durable) or once it is queryable (visible).
    pub ack_mode: AckMode,
    /// In visible mode, how long a write may wait to become queryable before it is answered anyway.
    pub visible_timeout: Duration,
}

/// What one HTTP connection and one request may take. Requests past a limit get the matching status (408,
/// 413, 414, 431, 503) with a JSON body; connections past their time are closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// From accepting a connection (or finishing the previous request) until a request's headers are read.
    pub header_timeout: Duration,
    /// To receive a whole request body.
    pub body_timeout: Duration,
    /// To answer a request once its body is read.
    pub request_timeout: Duration,
    /// A keep-alive connection with no request in progress is closed after this.
    pub idle_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// The request line's target (path and query).
    pub max_uri_bytes: usize,
    /// All request header fields together, and their number.
    pub max_header_bytes: usize,
    pub max_headers: usize,
    /// An alternate-syntax (`?method=`) form body, read before the request can be authenticated.
    pub max_form_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckMode {
    Durable,
    Visible,
}

impl std::str::FromStr for AckMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "durable" => Ok(AckMode::Durable),
            "visible" => Ok(AckMode::Visible),
            other => Err(format!("{other:?} is neither durable nor visible")),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}={value}: {reason}")]
pub struct SettingsError {
    name: &'static str,
    value: String,
    reason: String,
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `lookup`, so tests can supply their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let get = |name: &str, default: &str| lookup(name).filter(|v| !v.is_empty()).unwrap_or_else(|| default.into());
        let ingest_addr = parse(&get, "LRS_INGEST_ADDR", "127.0.0.1:8080")?;
        Ok(Settings {
            kafka_brokers: get("LRS_KAFKA_BROKERS", "127.0.0.1:9092"),
            kafka_linger_ms: parse(&get, "LRS_KAFKA_LINGER_MS", "1")?,
            kafka_enqueue_timeout: millis(&get, "LRS_KAFKA_ENQUEUE_TIMEOUT_MS", "5000")?,
            kafka_delivery_timeout: millis(&get, "LRS_KAFKA_DELIVERY_TIMEOUT_MS", "10000")?,
            kafka_replication: parse(&get, "LRS_KAFKA_REPLICATION", "1")?,
            statements_topic: get("LRS_STATEMENTS_TOPIC", "xapi-statements"),
            dead_letter_topic: get("LRS_DEAD_LETTER_TOPIC", "xapi-statements-dlq"),
            documents_topic: get("LRS_DOCUMENTS_TOPIC", "xapi-documents"),
            ids_topic: get("LRS_IDS_TOPIC", "xapi-statement-ids"),
            facts_topic: get("LRS_FACTS_TOPIC", "xapi-analytics-facts"),
            analytics: parse(&get, "LRS_ANALYTICS", "true")?,
            web_dir: get("LRS_WEB_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../../web")).into(),
            conflict_lookup_timeout: millis(&get, "LRS_CONFLICT_LOOKUP_TIMEOUT_MS", "1000")?,
            max_lag: millis(&get, "LRS_MAX_LAG_MS", "60000")?,
            read_wait: millis(&get, "LRS_READ_WAIT_MS", "5000")?,
            consumer_group: get("LRS_CONSUMER_GROUP", "lrs-processor"),
            clickhouse_url: get("LRS_CLICKHOUSE_URL", "http://127.0.0.1:8123"),
            clickhouse_database: get("LRS_CLICKHOUSE_DATABASE", "lrs"),
            clickhouse_user: get("LRS_CLICKHOUSE_USER", "default"),
            clickhouse_password: get("LRS_CLICKHOUSE_PASSWORD", ""),
            clickhouse_timeout: millis(&get, "LRS_CLICKHOUSE_TIMEOUT_MS", "10000")?,
            clickhouse_insert_timeout: millis(&get, "LRS_CLICKHOUSE_INSERT_TIMEOUT_MS", "30000")?,
            dev_store: get("LRS_DEV_STORE", "default"),
            dev_key: get("LRS_DEV_KEY", "lrs-dev"),
            dev_secret: get("LRS_DEV_SECRET", "lrs-dev-secret"),
            admin_key: get("LRS_ADMIN_KEY", "lrs-admin"),
            admin_secret: get("LRS_ADMIN_SECRET", "lrs-admin-secret"),
            credentials_refresh: millis(&get, "LRS_CREDENTIALS_REFRESH_MS", "1000")?,
            rate_limit_per_s: parse(&get, "LRS_RATE_LIMIT_PER_S", "0")?,
            rate_limit_burst: parse(&get, "LRS_RATE_LIMIT_BURST", "100")?,
            ingest_addr,
            query_addr: parse(&get, "LRS_QUERY_ADDR", "127.0.0.1:8081")?,
            processor_addr: parse(&get, "LRS_PROCESSOR_ADDR", "127.0.0.1:8082")?,
            max_body_bytes: parse(&get, "LRS_MAX_BODY_BYTES", "16777216")?,
            http: HttpLimits {
                header_timeout: millis(&get, "LRS_HTTP_HEADER_TIMEOUT_MS", "10000")?,
                body_timeout: millis(&get, "LRS_HTTP_BODY_TIMEOUT_MS", "60000")?,
                request_timeout: millis(&get, "LRS_HTTP_REQUEST_TIMEOUT_MS", "30000")?,
                idle_timeout: millis(&get, "LRS_HTTP_IDLE_TIMEOUT_MS", "30000")?,
                max_connections: parse(&get, "LRS_HTTP_MAX_CONNECTIONS", "4096")?,
                max_uri_bytes: parse(&get, "LRS_HTTP_MAX_URI_BYTES", "8192")?,
                max_header_bytes: parse(&get, "LRS_HTTP_MAX_HEADER_BYTES", "32768")?,
                max_headers: parse(&get, "LRS_HTTP_MAX_HEADERS", "100")?,
                max_form_bytes: parse(&get, "LRS_HTTP_MAX_FORM_BYTES", "1048576")?,
            },
            batch_max_rows: parse(&get, "LRS_BATCH_MAX_ROWS", "5000")?,
            batch_max_bytes: parse(&get, "LRS_BATCH_MAX_BYTES", "33554432")?,
            batch_max_wait: millis(&get, "LRS_BATCH_MAX_WAIT_MS", "100")?,
            batch_idle: millis(&get, "LRS_BATCH_IDLE_MS", "5")?,
            analytics_batch_wait: millis(&get, "LRS_ANALYTICS_BATCH_WAIT_MS", "1000")?,
            consistency_skew_ms: parse(&get, "LRS_CONSISTENCY_SKEW_MS", "1000")?,
            shutdown_grace: millis(&get, "LRS_SHUTDOWN_GRACE_MS", "10000")?,
            public_url: get("LRS_PUBLIC_URL", &format!("http://{ingest_addr}")),
            ack_mode: parse(&get, "LRS_ACK_MODE", "durable")?,
            visible_timeout: millis(&get, "LRS_VISIBLE_TIMEOUT_MS", "10000")?,
        })
    }
}

fn millis(get: &impl Fn(&str, &str) -> String, name: &'static str, default: &str) -> Result<Duration, SettingsError> {
    parse::<u64>(get, name, default).map(Duration::from_millis)
}

fn parse<T: std::str::FromStr>(
    get: &impl Fn(&str, &str) -> String,
    name: &'static str,
    default: &str,
) -> Result<T, SettingsError>
where
    T::Err: std::fmt::Display,
{
    let value = get(name, default);
    value.parse().map_err(|e: T::Err| SettingsError { name, reason: e.to_string(), value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let s = Settings::from_lookup(|k| (k == "LRS_DEV_KEY").then(|| "alice".to_string())).expect("valid");
        assert_eq!(s.dev_key, "alice");
        assert_eq!(s.dev_secret, "lrs-dev-secret");
        assert_eq!(s.ingest_addr.port(), 8080);
        assert_eq!(s.public_url, "http://127.0.0.1:8080");
        assert_eq!(s.ack_mode, AckMode::Durable);
    }

    #[test]
    fn bad_values_are_named() {
        let err =
            Settings::from_lookup(|k| (k == "LRS_BATCH_MAX_ROWS").then(|| "many".to_string())).expect_err("invalid");
        assert!(err.to_string().contains("LRS_BATCH_MAX_ROWS=many"), "{err}");
    }
}

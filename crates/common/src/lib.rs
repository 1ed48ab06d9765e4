//! Infrastructure shared by the three LRS services: configuration, telemetry, graceful shutdown, the
//! Kafka and ClickHouse clients (one folder per external system), credentials and the HTTP plumbing.

pub mod admin;
pub mod auth;
pub mod backoff;
pub mod clickhouse;
pub mod config;
pub mod http;
pub mod id_filter;
pub mod kafka;
pub mod lookup;
pub mod metrics;
pub mod shutdown;
pub mod telemetry;

pub use backoff::Backoff;
pub use config::Settings;
pub use shutdown::Shutdown;

/// Current wall-clock time in Unix epoch milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

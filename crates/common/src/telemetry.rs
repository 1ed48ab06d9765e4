//! Structured logs: JSON lines by default (for log shippers), human-readable with `LRS_LOG_FORMAT=text`.
//! The level comes from `RUST_LOG` (default `info`).

use tracing_subscriber::{fmt, EnvFilter};

pub fn init(service: &'static str) {
    init_to(service, std::io::stdout);
}

/// For command-line tools whose stdout is their output (`lrsctl export`): logs go to stderr.
pub fn init_stderr(service: &'static str) {
    init_to(service, std::io::stderr);
}

fn init_to<W>(service: &'static str, writer: W)
where
    W: for<'w> fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,rdkafka=warn"));
    let text = std::env::var("LRS_LOG_FORMAT").map(|f| f == "text").unwrap_or(false);
    let result = if text {
        fmt().with_env_filter(filter).with_target(false).with_writer(writer).try_init()
    } else {
        fmt().json().flatten_event(true).with_current_span(false).with_env_filter(filter).with_writer(writer).try_init()
    };
    if result.is_ok() {
        tracing::info!(service, version = env!("CARGO_PKG_VERSION"), "starting");
    }
}

//! `lrsctl`: the operator's tool.
//!   lrsctl migrate          apply ClickHouse migrations and create Kafka topics (idempotent)
//!   lrsctl bench [options]  drive a running LRS and print throughput, visibility lag and memory figures

mod bench;
mod bench_query;
mod migrate;

use lrs_common::Settings;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    lrs_common::telemetry::init("lrsctl");
    let settings = Settings::from_env()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("migrate") => migrate::run(&settings).await,
        Some("bench") => bench::run(&settings, &args[1..]).await,
        _ => {
            eprintln!("usage: lrsctl migrate | lrsctl bench [--clients N] [--statements N] [--batch N] [--singles N] [--lag-samples N] [--gateway-alone true|false] [--query-store N] [--query-samples N] [--endpoint URL] [--data FILE]");
            std::process::exit(2);
        }
    }
}

//! `lrsctl`: the operator's tool. `lrsctl --help` lists the commands, `lrsctl <command> --help` their options.

mod admin;
mod bench;
mod bench_analytics;
mod bench_cpu;
mod bench_ids;
mod bench_query;
mod bench_rss;
mod bench_store;
mod bench_sustained;
mod demo;
mod export;
mod import;
mod migrate;

use clap::{Parser, Subcommand};
use lrs_common::Settings;

/// The LRS's operator tool. Settings (brokers, ClickHouse, credentials) come from the same LRS_* environment
/// variables as the services.
#[derive(Parser)]
#[command(name = "lrsctl", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply the ClickHouse migrations and create the Kafka topics (idempotent).
    Migrate,
    /// Drive a running LRS and print throughput, visibility lag, query latencies and memory.
    Bench(bench::Options),
    /// Load a demo store (real statements and a generated organisation) into the running LRS.
    Demo(demo::Options),
    /// Create, list and delete stores (tenants), through the admin API.
    Stores {
        /// The LRS base URL (default: LRS_PUBLIC_URL).
        #[arg(long, global = true)]
        url: Option<String>,
        #[command(subcommand)]
        command: admin::Stores,
    },
    /// Write a store's statements to stdout as NDJSON, through the admin API.
    Export(export::Options),
    /// Erase a person from a store (GDPR art. 17): their statements in any role, the statements referring to
    /// those, their documents, attachments only they used and their analytics contributions.
    Erase(admin::Erase),
    /// Import statements into a store from an export (NDJSON or a JSON array, gzip too) or from another LRS.
    Import(import::Options),
    /// Create, list and revoke credentials, through the admin API.
    Credentials {
        /// The LRS base URL (default: LRS_PUBLIC_URL).
        #[arg(long, global = true)]
        url: Option<String>,
        #[command(subcommand)]
        command: admin::Credentials,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    lrs_common::telemetry::init_stderr("lrsctl");
    let settings = Settings::from_env()?;
    match cli.command {
        Command::Migrate => migrate::run(&settings).await,
        Command::Bench(options) => bench::run(&settings, options).await,
        Command::Demo(options) => demo::run(&settings, options).await,
        Command::Export(options) => export::run(&settings, options).await,
        Command::Import(options) => import::run(&settings, options).await,
        Command::Erase(options) => admin::erase(&settings, options).await,
        Command::Stores { url, command } => admin::stores(&settings, url, command).await,
        Command::Credentials { url, command } => admin::credentials(&settings, url, command).await,
    }
}

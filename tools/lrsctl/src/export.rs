//! `lrsctl export --store S [--filter name=value]... > file.ndjson`: a store's statements as NDJSON through the
//! admin API (`GET /admin/export`), streamed to stdout in constant memory, with progress on a terminal.

use anyhow::bail;
use lrs_common::Settings;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Options {
    /// The store to export.
    #[arg(long)]
    store: String,
    /// An xAPI statement filter (repeatable): agent=<JSON>, verb=, activity=, registration=, since=, until=,
    /// related_agents=true, related_activities=true.
    #[arg(long = "filter", value_parser = split_pair)]
    filters: Vec<(String, String)>,
    /// The LRS base URL (default: LRS_PUBLIC_URL).
    #[arg(long)]
    url: Option<String>,
}

fn split_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| format!("{s:?}: use name=value"))
}

pub async fn run(settings: &Settings, o: Options) -> anyhow::Result<()> {
    let base = o.url.unwrap_or_else(|| settings.public_url.clone());
    let mut query = vec![format!("store={}", lrs_common::http::form::escape(&o.store))];
    query.extend(
        o.filters
            .iter()
            .map(|(k, v)| format!("{}={}", lrs_common::http::form::escape(k), lrs_common::http::form::escape(v))),
    );
    let url = format!("{}/admin/export?{}", base.trim_end_matches('/'), query.join("&"));
    // No overall timeout: an export of any size streams for as long as it takes; the connection has one.
    let http = reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).build()?;
    let res = http.get(url).basic_auth(&settings.admin_key, Some(&settings.admin_secret)).send().await?;
    if !res.status().is_success() {
        let status = res.status();
        bail!("{status}: {}", res.text().await.unwrap_or_default());
    }
    let progress = std::io::stderr().is_terminal();
    let started = Instant::now();
    let (mut lines, mut shown) = (0u64, Instant::now());
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut res = res;
    while let Some(chunk) = res.chunk().await? {
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        out.write_all(&chunk)?;
        if progress && shown.elapsed() > Duration::from_millis(250) {
            eprint!("\r{lines} statements, {:.0}/s", lines as f64 / started.elapsed().as_secs_f64());
            shown = Instant::now();
        }
    }
    out.flush()?;
    eprintln!(
        "{}exported {lines} statements of store {:?} in {:.1}s",
        if progress { "\r" } else { "" },
        o.store,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

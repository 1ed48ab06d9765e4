//! `lrsctl demo`: fills a running LRS with a store worth looking at: the real statements of
//! `../shared/data/` (when present, moved into the demo's months) and a generated organisation
//! (`organisation.rs`), posted through the xAPI endpoint like any client.

use crate::bench::{post_all, Client};
use lrs_common::Settings;
use lrsctl::organisation::Organisation;
use serde_json::{json, Value};
use std::io::BufRead;
use std::path::PathBuf;
use std::time::Instant;

/// Loads a demo store into the running LRS.
#[derive(Debug, clap::Args)]
pub struct Options {
    /// Generated statements.
    #[arg(long, default_value_t = 200_000)]
    statements: usize,
    /// People in the generated organisation.
    #[arg(long, default_value_t = 400)]
    learners: usize,
    /// Months of history, ending today.
    #[arg(long, default_value_t = 6)]
    months: i64,
    /// Seed of the generator (the same seed gives the same organisation).
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Real statements (NDJSON, optionally gzip) added as they are, re-identified; a missing file is skipped.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/video-statements.ndjson.gz"))]
    data: PathBuf,
    /// The xAPI endpoint (default: LRS_PUBLIC_URL/xapi).
    #[arg(long)]
    endpoint: Option<String>,
}

pub async fn run(settings: &Settings, o: Options) -> anyhow::Result<()> {
    let endpoint = o.endpoint.clone().unwrap_or_else(|| format!("{}/xapi", settings.public_url.trim_end_matches('/')));
    let client = Client::new(settings, endpoint.trim_end_matches('/'))?;
    let now = lrs_common::now_ms();
    let span_days = o.months * 30;
    let started = Instant::now();

    let real = real_statements(&o.data, now - span_days * 86_400_000, now);
    if !real.is_empty() {
        let n = real.len();
        let bodies: Vec<Vec<u8>> = real.chunks(500).map(serde_json::to_vec).collect::<Result<_, _>>()?;
        let posted = post_all(&client, bodies, 4).await?;
        println!("demo: {n} real statements from {} ({} requests failed)", o.data.display(), posted.failures);
    }

    let mut org = Organisation::new(o.seed, o.learners, now, span_days);
    let failures = post_generated(&client, &mut org, o.statements, 8).await?;
    println!(
        "demo: {} generated statements ({} learners, {} months; {failures} requests failed) in {:.1}s",
        o.statements,
        o.learners,
        o.months,
        started.elapsed().as_secs_f64()
    );
    println!("demo: open {}/dashboard", settings.public_url.trim_end_matches('/'));
    Ok(())
}

/// Posts `n` statements of `org` in batches of 500 from `clients` concurrent clients; returns the failed
/// requests. Built a slice at a time, so memory stays flat however large the store.
pub(crate) async fn post_generated(
    client: &Client,
    org: &mut Organisation,
    n: usize,
    clients: usize,
) -> anyhow::Result<usize> {
    let mut left = n;
    let mut failures = 0;
    while left > 0 {
        let slice = left.min(100_000);
        let bodies: Vec<Vec<u8>> = (0..slice.div_ceil(500))
            .map(|b| {
                let chunk: Vec<Value> = org.by_ref().take(500.min(slice - b * 500)).collect();
                serde_json::to_vec(&chunk)
            })
            .collect::<Result<_, _>>()?;
        failures += post_all(client, bodies, clients).await?.failures;
        left -= slice;
    }
    Ok(failures)
}

/// The data file's statements with fresh ids, their timestamps moved (keeping their order and spacing,
/// compressed if need be) into `[from_ms, to_ms)`.
fn real_statements(path: &PathBuf, from_ms: i64, to_ms: i64) -> Vec<Value> {
    let Ok(file) = std::fs::File::open(path) else { return Vec::new() };
    let mut out: Vec<Value> = std::io::BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect();
    let times: Vec<i64> =
        out.iter().map(|s| s["timestamp"].as_str().and_then(xapi::time::parse).map_or(0, |t| t.epoch_ms)).collect();
    let (lo, hi) = (times.iter().copied().min().unwrap_or(0), times.iter().copied().max().unwrap_or(0));
    let scale = if hi > lo { ((to_ms - from_ms) as f64 / (hi - lo) as f64).min(1.0) } else { 1.0 };
    for (s, t) in out.iter_mut().zip(times) {
        s["id"] = json!(uuid::Uuid::new_v4().to_string());
        let moved = to_ms - ((hi - t) as f64 * scale) as i64 - 1;
        s["timestamp"] = json!(xapi::time::format_ms(moved));
    }
    out
}

//! Query latencies on a large store: fills the store to the asked size through the gateway, then times the
//! GET /statements shapes dashboards and clients use (by id, agent, verb+activity, registration, since, and
//! paging through `more`), one request at a time so the figures are latencies, not throughput.

use crate::bench::{percentile, registration_of, Client};
use anyhow::{bail, Context};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The most time loading the store may take.
const LOAD_TIME: Duration = Duration::from_secs(1200);

pub async fn run(
    client: &Client,
    templates: &[Value],
    target: u64,
    samples: usize,
    clients: usize,
) -> anyhow::Result<()> {
    let have = client.stored_count().await?;
    let offset = have as usize;
    if have < target {
        let missing = (target - have) as usize;
        println!("   loading {missing} more statements");
        let started = Instant::now();
        let filled = crate::bench_store::fill(client, templates, offset, missing, clients, started + LOAD_TIME).await;
        if filled.refused > 0 || (filled.acknowledged as usize) < missing {
            bail!(
                "the store could not be loaded: {} of {missing} acknowledged, {} requests refused",
                filled.acknowledged,
                filled.refused
            );
        }
        client.wait_stored(target).await?;
        let secs = started.elapsed().as_secs_f64();
        println!("   loaded in {secs:.1}s ({:.0} statements/s end to end)", missing as f64 / secs);
    }
    let waited = client.wait_merges().await?;
    println!("   (timed once ClickHouse finished merging: waited {:.0}s)", waited.as_secs_f64());
    let ids: Vec<String> = client
        .clickhouse(
            "SELECT toString(id) FROM statements WHERE cityHash64(toString(id)) % 997 = 0 LIMIT 1000 FORMAT TSV",
        )
        .await?
        .lines()
        .map(str::to_string)
        .collect();
    if ids.is_empty() {
        bail!("no stored statements to sample");
    }
    let since = client
        .clickhouse("SELECT quantileExact(0.999)(stored_ms) FROM statements FORMAT TSV")
        .await?
        .trim()
        .parse::<i64>()
        .context("since sample")?;
    let pick = |i: usize| &templates[(i * 7919) % templates.len()];
    let enc = |s: &str| urlencode(s);

    let mut cases: Vec<(&str, Vec<String>)> = Vec::new();
    cases.push((
        "by id",
        (0..samples).map(|i| format!("/xapi/statements?statementId={}", ids[i % ids.len()])).collect(),
    ));
    cases.push((
        "by agent",
        (0..samples)
            .map(|i| format!("/xapi/statements?limit=100&agent={}", enc(&pick(i)["actor"].to_string())))
            .collect(),
    ));
    cases.push((
        "by verb+activity",
        (0..samples)
            .map(|i| {
                let t = pick(i);
                let activity = t["object"]["id"].as_str().unwrap_or_default();
                format!(
                    "/xapi/statements?limit=100&verb={}&activity={}",
                    enc(t["verb"]["id"].as_str().unwrap_or_default()),
                    enc(activity)
                )
            })
            .collect(),
    ));
    cases.push((
        "by registration",
        (0..samples)
            .map(|i| format!("/xapi/statements?registration={}", registration_of((i * 104_729) % target as usize)))
            .collect(),
    ));
    cases.push((
        "since (newest 0.1%)",
        (0..samples)
            .map(|_| format!("/xapi/statements?limit=100&since={}", enc(&xapi::time::format_ms(since))))
            .collect(),
    ));
    for (name, paths) in cases {
        let mut latencies = Vec::with_capacity(paths.len());
        let mut returned = 0usize;
        for path in &paths {
            let (status, took, body) = client.get(path).await?;
            if status != 200 {
                bail!("{name}: GET {path} answered {status}: {}", String::from_utf8_lossy(&body));
            }
            returned += count_statements(&body);
            latencies.push(took);
        }
        print_latency(name, &mut latencies, returned as f64 / paths.len() as f64);
    }

    for (name, first) in [
        ("paging, no filter", "/xapi/statements?limit=100".to_string()),
        ("paging, by agent", format!("/xapi/statements?limit=100&agent={}", enc(&pick(1)["actor"].to_string()))),
    ] {
        let mut latencies = Vec::new();
        let mut returned = 0usize;
        for _ in 0..(samples / 10).max(1) {
            let mut next = first.clone();
            for _ in 0..10 {
                let (status, took, body) = client.get(&next).await?;
                if status != 200 {
                    bail!("{name}: GET {next} answered {status}");
                }
                latencies.push(took);
                let page: Value = serde_json::from_slice(&body)?;
                returned += page["statements"].as_array().map_or(0, Vec::len);
                match page["more"].as_str() {
                    Some(more) if !more.is_empty() => next = more.to_string(),
                    _ => break,
                }
            }
        }
        let per_page = returned as f64 / latencies.len().max(1) as f64;
        print_latency(&format!("{name} (10 pages)"), &mut latencies, per_page);
    }
    Ok(())
}

fn count_statements(body: &[u8]) -> usize {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) if v.get("statements").is_some() => v["statements"].as_array().map_or(0, Vec::len),
        Ok(_) => 1,
        Err(_) => 0,
    }
}

fn print_latency(name: &str, latencies: &mut [Duration], per_request: f64) {
    println!(
        "   {name:<28} p50 {:>7.1} ms   p99 {:>7.1} ms   ({} requests, {per_request:.0} statements each)",
        percentile(latencies, 50.0).as_secs_f64() * 1e3,
        percentile(latencies, 99.0).as_secs_f64() * 1e3,
        latencies.len()
    );
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

//! Analytics latencies on a large store: fills the store with the demo organisation's statements through the
//! gateway (the whole pipeline, analytics stage included) until analytics count the asked number, then times
//! each query the dashboard sends, one at a time, p50/p99.

use crate::bench::{percentile, Client};
use anyhow::bail;
use lrsctl::organisation::Organisation;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The dashboard's tiles, as it asks for them (`{since}` is the start of its default range).
const TILES: &[(&str, &str)] = &[
    ("statements over time", "measures=statements&by=day&since={since}"),
    ("content types", "measures=statements,actors&by=activity_type&since={since}"),
    ("popular activities", "measures=statements&by=activity&limit=10&since={since}"),
    ("popular verbs", "measures=statements&by=verb&limit=10&since={since}"),
    ("rates per activity", "measures=completion_rate,success_rate,score_avg&by=activity&limit=20&since={since}"),
    ("rates per course", "measures=completion_rate,success_rate,score_avg&by=parent&limit=20&since={since}"),
    ("score distribution", "measures=statements&by=score&since={since}"),
    ("time per content type", "measures=duration_sum,duration_avg&by=activity_type&since={since}"),
    ("most active learners", "measures=statements&by=actor&limit=10&since={since}"),
    ("weekday x hour", "measures=statements&by=weekday,hour_of_day&limit=200&since={since}"),
    ("one course, by day", "measures=statements&by=day&parent=https%3A%2F%2Facademy.example.com%2Fcourses%2F3&since={since}"),
    ("one type, Paris time", "measures=statements,completion_rate&by=week&tz=Europe%2FParis&activity_type=https%3A%2F%2Fw3id.org%2Fxapi%2Fvideo%2Factivity-type%2Fvideo"),
];

async fn counted(client: &Client) -> anyhow::Result<u64> {
    let (status, _, body) = client.get("/analytics/aggregate?measures=statements").await?;
    if status != 200 {
        bail!("analytics answered {status}");
    }
    let v: Value = serde_json::from_slice(&body)?;
    Ok(v["rows"][0][0].as_u64().unwrap_or(0))
}

pub async fn run(client: &Client, target: u64, samples: usize, clients: usize) -> anyhow::Result<()> {
    let have = counted(client).await?;
    if have < target {
        let missing = (target - have) as usize;
        println!("   loading {missing} more generated statements in batches of 500");
        let started = Instant::now();
        let now = lrs_common::now_ms();
        // A larger organisation than the demo's, over a year (every statement has a fresh id).
        let mut org = Organisation::new(2024, 5000, now, 365);
        let failures = crate::demo::post_generated(client, &mut org, missing, clients).await?;
        if failures > 0 {
            bail!("{failures} load requests failed");
        }
        let accepted = started.elapsed().as_secs_f64();
        let deadline = Instant::now() + Duration::from_secs(3600);
        while counted(client).await? < target {
            if Instant::now() > deadline {
                bail!("analytics did not reach {target} statements within an hour");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "   accepted in {accepted:.1}s, counted by analytics in {secs:.1}s ({:.0} statements/s end to end)",
            missing as f64 / secs
        );
    }
    // The dashboard's default range starts at a midnight, 180 days back.
    let day = 86_400_000;
    let since = xapi::time::format_ms((lrs_common::now_ms() - 180 * day) / day * day);
    let since = since.replace(':', "%3A");
    for (name, query) in TILES {
        let path = format!("/analytics/aggregate?{}", query.replace("{since}", &since));
        let mut latencies = Vec::with_capacity(samples);
        let mut rows = 0;
        for _ in 0..samples {
            let (status, took, body) = client.get(&path).await?;
            if status != 200 {
                bail!("{name}: {status} {}", String::from_utf8_lossy(&body));
            }
            rows = serde_json::from_slice::<Value>(&body)?["rows"].as_array().map_or(0, Vec::len);
            latencies.push(took);
        }
        println!(
            "   {name:<24} p50 {:>7.1} ms   p99 {:>7.1} ms   ({samples} requests, {rows} rows)",
            percentile(&mut latencies, 50.0).as_secs_f64() * 1e3,
            percentile(&mut latencies, 99.0).as_secs_f64() * 1e3,
        );
    }
    Ok(())
}

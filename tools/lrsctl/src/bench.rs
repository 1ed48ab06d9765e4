//! `lrsctl bench`: drives a running LRS with real statements (re-identified for volume) and prints what an
//! operator wants to know: statements/s accepted by the gateway (batched and single, with client-chosen ids
//! and, for comparison, LRS-assigned ones) with request p50/p99, end-to-end statements/s until stored in
//! ClickHouse, read latency right after a write (idle and under load) and when idle, query latencies, and
//! each service's peak RSS.

use crate::bench_ids::Shape;
use anyhow::{bail, Context};
use futures::StreamExt;
use lrs_common::Settings;
use serde_json::{json, Value};
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Drives a running LRS with real statements and prints throughput, visibility lag, query latencies and memory.
#[derive(Debug, clap::Args)]
pub struct Options {
    /// NDJSON (optionally gzip) statements used as templates (re-identified for volume).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/video-statements.ndjson.gz"))]
    data: PathBuf,
    /// Statements posted in batches while the processor is paused (phase 0: the gateway alone).
    #[arg(long = "statements", default_value_t = 200_000)]
    batched: usize,
    /// How long batches are posted without pause in the sustained phase (and again at the large store).
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Statements per batch.
    #[arg(long = "batch", default_value_t = 100)]
    batch_size: usize,
    /// Single statements posted (phase 3).
    #[arg(long, default_value_t = 20_000)]
    singles: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Read-after-write samples (half idle, half under load); as many idle reads.
    #[arg(long, default_value_t = 400)]
    read_samples: usize,
    /// Let the LRS choose statement ids (the default sends client-chosen ids, as most players do).
    #[arg(long)]
    lrs_ids: bool,
    /// Pairs of rounds (ABBA order) comparing client-chosen with LRS-assigned ids, batched and single
    /// (0: skip that phase). Each round posts half of --statements (batched) or half of --singles.
    #[arg(long, default_value_t = 3)]
    compare_pairs: usize,
    /// The xAPI endpoint (default: LRS_PUBLIC_URL/xapi).
    #[arg(long)]
    endpoint: Option<String>,
    /// Measure the gateway alone by pausing the processor first (off for the visible acknowledgement mode,
    /// where a paused processor would hold every answer back).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    gateway_alone: bool,
    /// Statements the store must hold before the query latencies are measured (0: skip that phase).
    #[arg(long, default_value_t = 1_000_000)]
    query_store: u64,
    /// Requests per query kind in the query phase.
    #[arg(long, default_value_t = 200)]
    query_samples: usize,
    /// Statements analytics must count before the dashboard's queries are timed (0: skip that phase); the
    /// store is filled with the demo organisation's statements through the gateway.
    #[arg(long, default_value_t = 0)]
    analytics_store: u64,
    /// Requests per dashboard query in the analytics phase.
    #[arg(long, default_value_t = 100)]
    analytics_samples: usize,
    /// Store size for the last phase: fill to it, then repeat the ingest and query phases (0: skip; the
    /// issue's figure is 10000000).
    #[arg(long, default_value_t = 0)]
    store_size: u64,
    /// The most time the store-size phase spends filling, in minutes.
    #[arg(long, default_value_t = 30)]
    fill_minutes: u64,
}

pub async fn run(settings: &Settings, mut o: Options) -> anyhow::Result<()> {
    let endpoint = o.endpoint.take().unwrap_or_else(|| format!("{}/xapi", settings.public_url.trim_end_matches('/')));
    let endpoint = endpoint.trim_end_matches('/').to_string();
    let templates = load(&o.data)?;
    println!("bench: {} template statements from {}, endpoint {}", templates.len(), o.data.display(), endpoint);
    let ids = if o.lrs_ids { Ids::Lrs } else { Ids::Client };
    println!("bench: statement ids chosen by {}", ids.label());
    let client = Client::new(settings, &endpoint)?;
    let base_count = client.stored_count().await?;

    // Bodies are built before the clock starts: the figures measure the LRS, not the generator.
    let singles = |ids: Ids| -> Vec<Vec<u8>> { (0..o.singles).map(|i| body(&templates, i, 1, false, ids)).collect() };

    // The gateway on its own: the processor is paused (SIGSTOP) so it does not compete for the CPU; its
    // backlog is then drained by the end-to-end phase.
    let alone: Vec<Vec<u8>> = (0..o.batched.div_ceil(o.batch_size) / 2)
        .map(|b| body(&templates, b * o.batch_size, o.batch_size, true, ids))
        .collect();
    let alone_statements = alone.len() * o.batch_size;
    let mut posted_alone = 0u64;
    if o.gateway_alone && signal_processor("STOP") {
        println!(
            "\n0. gateway alone (processor paused), batches of {} statements, {} clients",
            o.batch_size,
            o.clients * 2
        );
        let peaks = crate::bench_rss::RssPeaks::default();
        let sampling = peaks.sample();
        let started = Instant::now();
        let posted = post_all(&client, alone, o.clients * 2).await?;
        let elapsed = started.elapsed();
        signal_processor("CONT");
        drop(sampling);
        report("batched", alone_statements, elapsed, &posted);
        peaks.print("during the phase");
        posted_alone = alone_statements as u64;
    } else {
        println!("\n0. gateway alone: skipped (--gateway-alone false, or no processor pid file under .data/run)");
    }
    let mut expected = base_count + posted_alone;
    // Idle figures are taken once the paused processor has caught up, not while it drains that backlog.
    client.wait_stored(expected).await?;
    let idle_rw = read_after_write(&client, o.read_samples / 2, &templates, ids, &AtomicBool::new(false)).await?;
    let idle_reads = idle_read(&client, o.read_samples / 2, &idle_rw.ids).await?;
    expected += idle_rw.ids.len() as u64;

    println!(
        "\n1. sustained: batches of {} statements for {}s, {} clients, everything running; then until all are stored",
        o.batch_size, o.seconds, o.clients
    );
    let loaded = Arc::new(AtomicBool::new(false));
    let rw_under_load = {
        let (client, templates, n, loaded) = (client.clone(), templates.clone(), o.read_samples / 2, loaded.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            read_after_write(&client, n, &templates, ids, &loaded).await
        })
    };
    let load = crate::bench_sustained::Load {
        ids,
        from: expected as usize,
        seconds: o.seconds,
        batch_size: o.batch_size,
        clients: o.clients,
    };
    let sustained = crate::bench_sustained::run(&client, &templates, &load).await?;
    loaded.store(true, Ordering::Relaxed);
    let under_load = rw_under_load.await??;
    expected += sustained.acknowledged + under_load.ids.len() as u64;
    client.wait_stored(expected).await?;

    client.wait_caught_up().await?;
    println!("\n3. gateway, single statements, {} clients", o.clients * 4);
    let peaks = crate::bench_rss::RssPeaks::default();
    let sampling = peaks.sample();
    let cpu = crate::bench_cpu::CpuSample::now();
    let started = Instant::now();
    let single = post_all(&client, singles(ids), o.clients * 4).await?;
    report(&format!("single, ids by {}", ids.label()), o.singles, started.elapsed(), &single);
    cpu.print_since(o.singles, started.elapsed().as_secs_f64());
    drop(sampling);
    peaks.print("during the phase");
    expected += o.singles as u64;
    println!("\n4. reads (GET by id) with the default read barrier");
    idle_rw.print("right after a write, idle");
    under_load.print("right after a write, under load");
    print_latency("when nothing is pending", &idle_reads, 0);

    if o.compare_pairs > 0 {
        println!(
            "\n5. ids chosen by the client vs by the LRS: {} rounds of each, alternating, everything running",
            o.compare_pairs
        );
        let shapes = [
            Shape { label: "batched", statements: o.batched / 2, per_request: o.batch_size, clients: o.clients },
            Shape { label: "single", statements: o.singles / 2, per_request: 1, clients: o.clients * 4 },
        ];
        for shape in shapes.iter().filter(|s| s.statements > 0) {
            crate::bench_ids::compare(&client, &templates, shape, o.compare_pairs, &mut expected).await?;
        }
    }

    if o.query_store > 0 {
        println!("\n6. queries with at least {} statements stored, {} samples each", o.query_store, o.query_samples);
        crate::bench_query::run(&client, &templates, o.query_store, o.query_samples, o.clients).await?;
    }

    if o.analytics_store > 0 {
        println!(
            "\n7. analytics with at least {} statements counted, {} samples each",
            o.analytics_store, o.analytics_samples
        );
        crate::bench_analytics::run(&client, o.analytics_store, o.analytics_samples, o.clients).await?;
    }

    if o.store_size > 0 {
        let store = crate::bench_store::Options {
            target: o.store_size,
            fill_for: Duration::from_secs(o.fill_minutes * 60),
            seconds: o.seconds,
            batch_size: o.batch_size,
            singles: o.singles,
            clients: o.clients,
            query_samples: o.query_samples,
        };
        crate::bench_store::run(&client, &templates, &store).await?;
    }

    println!("\n9. peak resident memory (VmHWM)");
    for name in crate::bench_cpu::SERVICES {
        match peak_rss(name) {
            Some(kb) => println!("   {name:<11} {:>8.1} MiB", kb as f64 / 1024.0),
            None => println!("   {name:<11} (no pid file under .data/run)"),
        }
    }
    Ok(())
}

/// Who chooses statement ids: the client (TinCanJS, xAPI.js and cmi5 players do), or the LRS.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ids {
    Client,
    Lrs,
}

impl Ids {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Ids::Client => "client",
            Ids::Lrs => "LRS",
        }
    }
}

#[derive(Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    endpoint: String,
    key: String,
    secret: String,
    clickhouse: String,
    database: String,
}

impl Client {
    pub(crate) fn new(settings: &Settings, endpoint: &str) -> anyhow::Result<Self> {
        Ok(Client {
            http: reqwest::Client::builder().timeout(Duration::from_secs(60)).pool_max_idle_per_host(256).build()?,
            endpoint: endpoint.to_string(),
            key: settings.dev_key.clone(),
            secret: settings.dev_secret.clone(),
            clickhouse: settings.clickhouse_url.clone(),
            database: settings.clickhouse_database.clone(),
        })
    }

    async fn post(&self, body: Vec<u8>) -> anyhow::Result<reqwest::Response> {
        Ok(self
            .http
            .post(format!("{}/statements", self.endpoint))
            .basic_auth(&self.key, Some(&self.secret))
            .header("X-Experience-API-Version", "1.0.3")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await?)
    }

    /// One POST; true when it was answered 200.
    pub(crate) async fn post_once(&self, body: Vec<u8>) -> bool {
        self.post(body).await.is_ok_and(|r| r.status() == 200)
    }

    /// Posts as a well-behaved client does: a 503 (the processors lag) waits its `Retry-After`, a failed
    /// connection a second, and the same body is sent again (its ids make the retry harmless). False when a
    /// request is refused for good (any other status) or still failing after `attempts`.
    pub(crate) async fn post_retrying(&self, body: Vec<u8>, attempts: usize) -> bool {
        for _ in 0..attempts {
            let wait = match self.post(body.clone()).await {
                Ok(res) if res.status() == 200 => return true,
                Ok(res) if res.status() == 503 => res
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(1),
                Ok(_) => return false,
                Err(_) => 1,
            };
            tokio::time::sleep(Duration::from_secs(wait.clamp(1, 30))).await;
        }
        false
    }

    /// A GET under the xAPI endpoint (`path` starts with `/`), timed; returns the status and the body.
    pub(crate) async fn get(&self, path: &str) -> anyhow::Result<(u16, Duration, Vec<u8>)> {
        let started = Instant::now();
        let res = self
            .http
            .get(format!("{}{path}", self.endpoint.trim_end_matches("/xapi")))
            .basic_auth(&self.key, Some(&self.secret))
            .header("X-Experience-API-Version", "1.0.3")
            .send()
            .await?;
        let status = res.status().as_u16();
        let body = res.bytes().await?.to_vec();
        Ok((status, started.elapsed(), body))
    }

    /// Runs a ClickHouse query in the LRS database and returns its text output.
    pub(crate) async fn clickhouse(&self, sql: &str) -> anyhow::Result<String> {
        let url = format!("{}/?database={}", self.clickhouse.trim_end_matches('/'), self.database);
        Ok(self.http.post(url).body(sql.to_string()).send().await?.error_for_status()?.text().await?)
    }

    /// Waits (up to 10 minutes) until the store holds at least `n` statements.
    pub(crate) async fn wait_stored(&self, n: u64) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(600);
        while self.stored_count().await? < n {
            if Instant::now() > deadline {
                bail!("statements still not stored after 10 minutes");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// Waits (up to 10 minutes) until the gateway reports the processors (statements and analytics) less than
    /// five seconds behind, so that a phase does not start against a backlog the last one left: statements
    /// can all be stored while the analytics stage still drains, and the lag bound would refuse writes.
    pub(crate) async fn wait_caught_up(&self) -> anyhow::Result<()> {
        let url = format!("{}/metrics", self.endpoint.trim_end_matches("/xapi"));
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let text = self.http.get(&url).send().await?.text().await?;
            let lag = text
                .lines()
                .find_map(|l| l.strip_prefix("lrs_ingest_processor_lag_seconds "))
                .and_then(|v| v.trim().parse::<f64>().ok());
            match lag {
                Some(secs) if secs >= 5.0 && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(500)).await
                }
                Some(secs) if secs >= 5.0 => {
                    println!("   (the processors are still {secs:.0}s behind after 10 minutes; going on)");
                    return Ok(());
                }
                // No gauge (an older gateway, or a remote endpoint): nothing to wait for.
                _ => return Ok(()),
            }
        }
    }

    /// Waits (up to 2 minutes) until ClickHouse has no merge running in the LRS database, so query latencies
    /// are those of a settled store rather than of one still merging what was just loaded. Returns the wait.
    pub(crate) async fn wait_merges(&self) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let sql = format!("SELECT count() FROM system.merges WHERE database = '{}'", self.database);
        while started.elapsed() < Duration::from_secs(120) {
            let text =
                self.http.post(&self.clickhouse).body(sql.clone()).send().await?.error_for_status()?.text().await?;
            if text.trim() == "0" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Ok(started.elapsed())
    }

    pub(crate) async fn stored_count(&self) -> anyhow::Result<u64> {
        let sql = format!("SELECT count() FROM `{}`.statements", self.database);
        let text = self.http.post(&self.clickhouse).body(sql).send().await?.error_for_status()?.text().await?;
        Ok(text.trim().parse()?)
    }
}

fn load(path: &PathBuf) -> anyhow::Result<Arc<Vec<Value>>> {
    let file = std::fs::File::open(path).with_context(|| format!("statement data {}", path.display()))?;
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    for line in reader.lines() {
        let line = line?;
        if !line.trim().is_empty() {
            out.push(serde_json::from_str(&line)?);
        }
    }
    if out.is_empty() {
        bail!("no statements in {}", path.display());
    }
    Ok(Arc::new(out))
}

/// `n` statements starting at template `from`, each with a fresh id; every 20 consecutive statements share a
/// registration (an attempt), so registration filters have realistic selectivity.
pub(crate) fn body(templates: &[Value], from: usize, n: usize, array: bool, ids: Ids) -> Vec<u8> {
    let statements: Vec<Value> = (from..from + n)
        .map(|i| {
            let mut s = templates[i % templates.len()].clone();
            match (ids, s.as_object_mut()) {
                (Ids::Client, _) => s["id"] = json!(uuid::Uuid::new_v4().to_string()),
                (Ids::Lrs, Some(obj)) => {
                    obj.remove("id");
                }
                (Ids::Lrs, None) => {}
            }
            if let Some(obj) = s.as_object_mut() {
                let context = obj.entry("context").or_insert_with(|| json!({}));
                context["registration"] = json!(registration_of(i).to_string());
            }
            s
        })
        .collect();
    if array {
        serde_json::to_vec(&statements).unwrap_or_default()
    } else {
        serde_json::to_vec(&statements[0]).unwrap_or_default()
    }
}

/// The registration of the statement built from position `i` (see `body`).
pub(crate) fn registration_of(i: usize) -> uuid::Uuid {
    uuid::Uuid::from_u128(0x1b5e_0000_0000_4000_8000_0000_0000_0000 | (i / 20) as u128)
}

pub(crate) struct Posted {
    pub(crate) latencies: Vec<Duration>,
    pub(crate) failures: usize,
}

pub(crate) async fn post_all(client: &Client, bodies: Vec<Vec<u8>>, concurrency: usize) -> anyhow::Result<Posted> {
    let results: Vec<(Duration, bool)> = futures::stream::iter(bodies)
        .map(|b| {
            let client = client.clone();
            async move {
                let t = Instant::now();
                let ok = client.post_once(b).await;
                (t.elapsed(), ok)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let failures = results.iter().filter(|(_, ok)| !ok).count();
    Ok(Posted { latencies: results.into_iter().map(|(d, _)| d).collect(), failures })
}

pub(crate) fn report(what: &str, statements: usize, elapsed: Duration, posted: &Posted) {
    let mut l = posted.latencies.clone();
    println!(
        "   {:>10.0} statements/s accepted ({what}: {statements} statements in {:.2}s; request p50 {:.1} ms, p99 {:.1} ms; {} failed)",
        statements as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        percentile(&mut l, 50.0).as_secs_f64() * 1e3,
        percentile(&mut l, 99.0).as_secs_f64() * 1e3,
        posted.failures
    );
}

/// Writes and reads of `read_after_write`: each write's latency, the GET that follows it, and how many of
/// those GETs did not find the statement.
struct ReadAfterWrite {
    writes: Vec<Duration>,
    reads: Vec<Duration>,
    misses: usize,
    /// Writes answered 503 because the processors lagged beyond the bound.
    refused: usize,
    ids: Vec<String>,
}

impl ReadAfterWrite {
    fn print(&self, what: &str) {
        print_latency(&format!("{what}: write"), &self.writes, 0);
        print_latency(&format!("{what}: read"), &self.reads, self.misses);
        if self.refused > 0 {
            println!("   {what}: {} writes refused with 503 (processors behind the lag bound)", self.refused);
        }
    }
}

/// Posts `n` single statements one after another and reads each back by id as soon as its POST is answered,
/// with no sleep and no retry, as an LMS does; a read that does not find the statement is a miss.
/// Stops early once `stop` is set (the load it was measured under has ended).
async fn read_after_write(
    client: &Client,
    n: usize,
    templates: &[Value],
    ids: Ids,
    stop: &AtomicBool,
) -> anyhow::Result<ReadAfterWrite> {
    let mut out = ReadAfterWrite { writes: Vec::new(), reads: Vec::new(), misses: 0, refused: 0, ids: Vec::new() };
    for i in 0..n {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let started = Instant::now();
        let res = client.post(body(templates, i, 1, false, ids)).await?;
        if res.status() == 503 {
            // The processors lag beyond the bound: the write is refused (not measured), as a client would be.
            out.refused += 1;
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        if res.status() != 200 {
            bail!("POST answered {}", res.status());
        }
        let answer: Vec<String> = res.json().await?;
        out.writes.push(started.elapsed());
        let id = answer.into_iter().next().context("no id returned")?;
        let (status, took, _) = client.get(&format!("/xapi/statements?statementId={id}")).await?;
        out.reads.push(took);
        if status != 200 {
            out.misses += 1;
        }
        out.ids.push(id);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(out)
}

/// GETs by id of statements written earlier, when no write is pending.
async fn idle_read(client: &Client, n: usize, ids: &[String]) -> anyhow::Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let Some(id) = ids.get(i % ids.len().max(1)) else { break };
        let (_, took, _) = client.get(&format!("/xapi/statements?statementId={id}")).await?;
        out.push(took);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(out)
}

fn print_latency(what: &str, values: &[Duration], misses: usize) {
    let mut l = values.to_vec();
    let missed = if misses > 0 { format!(", {misses} not found") } else { String::new() };
    println!(
        "   {what:<44} p50 {:>7.1} ms   p99 {:>7.1} ms   ({} samples{missed})",
        percentile(&mut l, 50.0).as_secs_f64() * 1e3,
        percentile(&mut l, 99.0).as_secs_f64() * 1e3,
        l.len()
    );
}

pub(crate) fn percentile(values: &mut [Duration], p: f64) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    values.sort();
    let rank = ((p / 100.0) * (values.len() - 1) as f64).round() as usize;
    values[rank.min(values.len() - 1)]
}

/// The pid of a service started by deploy/local (from its pid file).
pub(crate) fn pid_of(name: &str) -> Option<String> {
    let run = std::env::var("LRS_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.data"))
        .join("run");
    let pid = std::fs::read_to_string(run.join(format!("{name}.pid"))).ok()?;
    Some(pid.trim().to_string())
}

fn signal_processor(signal: &str) -> bool {
    pid_of("processor")
        .map(|pid| {
            std::process::Command::new("kill").arg(format!("-{signal}")).arg(pid).status().is_ok_and(|s| s.success())
        })
        .unwrap_or(false)
}

fn peak_rss(name: &str) -> Option<u64> {
    status_kb(name, "VmHWM:")
}

/// A kB field (`VmRSS:`, `VmHWM:`) of a local service's `/proc/<pid>/status`.
pub(crate) fn status_kb(name: &str, field: &str) -> Option<u64> {
    let pid = pid_of(name)?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()
}

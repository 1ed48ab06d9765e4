//! `lrsctl bench`: drives a running LRS with real statements (re-identified for volume) and prints what an
//! operator wants to know: statements/s accepted by the gateway (batched and single), end-to-end statements/s
//! until visible in ClickHouse, visibility lag p50/p99 (idle and under load), and each service's peak RSS.

use anyhow::{bail, Context};
use futures::StreamExt;
use lrs_common::Settings;
use serde_json::{json, Value};
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Drives a running LRS with real statements and prints throughput, visibility lag, query latencies and memory.
#[derive(Debug, clap::Args)]
pub struct Options {
    /// NDJSON (optionally gzip) statements used as templates (re-identified for volume).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/video-statements.ndjson.gz"))]
    data: PathBuf,
    /// Statements posted in batches (phase 1).
    #[arg(long = "statements", default_value_t = 200_000)]
    batched: usize,
    /// Statements per batch.
    #[arg(long = "batch", default_value_t = 100)]
    batch_size: usize,
    /// Single statements posted (phase 3).
    #[arg(long, default_value_t = 20_000)]
    singles: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Visibility-lag samples (half idle, half under load).
    #[arg(long, default_value_t = 200)]
    lag_samples: usize,
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
}

pub async fn run(settings: &Settings, mut o: Options) -> anyhow::Result<()> {
    let endpoint = o.endpoint.take().unwrap_or_else(|| format!("{}/xapi", settings.public_url.trim_end_matches('/')));
    let endpoint = endpoint.trim_end_matches('/').to_string();
    let templates = load(&o.data)?;
    println!("bench: {} template statements from {}, endpoint {}", templates.len(), o.data.display(), endpoint);
    let client = Client::new(settings, &endpoint)?;
    let base_count = client.stored_count().await?;

    // Bodies are built before the clock starts: the figures measure the LRS, not the generator.
    let batches: Vec<Vec<u8>> =
        (0..o.batched.div_ceil(o.batch_size)).map(|b| body(&templates, b * o.batch_size, o.batch_size, true)).collect();
    let singles: Vec<Vec<u8>> = (0..o.singles).map(|i| body(&templates, i, 1, false)).collect();

    // The gateway on its own: the processor is paused (SIGSTOP) so it does not compete for the CPU; its
    // backlog is then drained by the end-to-end phase.
    let alone: Vec<Vec<u8>> = (0..o.batched.div_ceil(o.batch_size) / 2)
        .map(|b| body(&templates, b * o.batch_size, o.batch_size, true))
        .collect();
    let alone_statements = alone.len() * o.batch_size;
    let mut posted_alone = 0u64;
    if o.gateway_alone && signal_processor("STOP") {
        println!(
            "\n0. gateway alone (processor paused), batches of {} statements, {} clients",
            o.batch_size,
            o.clients * 2
        );
        let started = Instant::now();
        let posted = post_all(&client, alone, o.clients * 2).await?;
        let elapsed = started.elapsed();
        signal_processor("CONT");
        report("batched", alone_statements, elapsed, &posted);
        posted_alone = alone_statements as u64;
    } else {
        println!("\n0. gateway alone: skipped (--gateway-alone false, or no processor pid file under .data/run)");
    }
    let base_count = base_count + posted_alone;
    // The idle lag is measured once the paused processor has caught up, not while it drains that backlog.
    let drained = Instant::now() + Duration::from_secs(600);
    while client.stored_count().await? < base_count && Instant::now() < drained {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    println!("\n1. gateway, batches of {} statements, {} clients, everything running", o.batch_size, o.clients);
    let idle_lag = lag(&client, o.lag_samples / 2, &templates).await?;
    let started = Instant::now();
    let lag_under_load = {
        let client = client.clone();
        let templates = templates.clone();
        let n = o.lag_samples / 2;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            lag(&client, n, &templates).await
        })
    };
    let batched = post_all(&client, batches, o.clients).await?;
    let accepted_elapsed = started.elapsed();
    report("batched", o.batched, accepted_elapsed, &batched);

    println!("\n2. end to end: until all {} batched statements are stored in ClickHouse", o.batched);
    let expected = base_count + o.batched as u64 + (o.lag_samples / 2) as u64;
    let deadline = Instant::now() + Duration::from_secs(600);
    while client.stored_count().await? < expected {
        if Instant::now() > deadline {
            bail!("statements still not stored after 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let e2e = started.elapsed();
    println!(
        "   {:>10.0} statements/s end to end ({} statements in {:.2}s)",
        o.batched as f64 / e2e.as_secs_f64(),
        o.batched,
        e2e.as_secs_f64()
    );
    let under_load = lag_under_load.await??;

    println!("\n3. gateway, single statements, {} clients", o.clients * 4);
    let started = Instant::now();
    let single = post_all(&client, singles, o.clients * 4).await?;
    report("single", o.singles, started.elapsed(), &single);

    println!("\n4. visibility lag (POST acknowledged -> readable by id)");
    print_lag("idle", &idle_lag);
    print_lag("under load", &under_load);

    if o.query_store > 0 {
        println!("\n6. queries with at least {} statements stored, {} samples each", o.query_store, o.query_samples);
        crate::bench_query::run(&client, &templates, o.query_store, o.query_samples, o.clients).await?;
    }

    println!("\n7. peak resident memory (VmHWM)");
    for name in ["server", "query", "processor", "kafka", "clickhouse"] {
        match peak_rss(name) {
            Some(kb) => println!("   {name:<11} {:>8.1} MiB", kb as f64 / 1024.0),
            None => println!("   {name:<11} (no pid file under .data/run)"),
        }
    }
    Ok(())
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
    fn new(settings: &Settings, endpoint: &str) -> anyhow::Result<Self> {
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

    async fn visible(&self, id: &str) -> anyhow::Result<bool> {
        let res = self
            .http
            .get(format!("{}/statements?statementId={id}", self.endpoint))
            .basic_auth(&self.key, Some(&self.secret))
            .header("X-Experience-API-Version", "1.0.3")
            .send()
            .await?;
        Ok(res.status() == 200)
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
pub(crate) fn body(templates: &[Value], from: usize, n: usize, array: bool) -> Vec<u8> {
    let statements: Vec<Value> = (from..from + n)
        .map(|i| {
            let mut s = templates[i % templates.len()].clone();
            s["id"] = json!(uuid::Uuid::new_v4().to_string());
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
    latencies: Vec<Duration>,
    pub(crate) failures: usize,
}

pub(crate) async fn post_all(client: &Client, bodies: Vec<Vec<u8>>, concurrency: usize) -> anyhow::Result<Posted> {
    let results: Vec<(Duration, bool)> = futures::stream::iter(bodies)
        .map(|b| {
            let client = client.clone();
            async move {
                let t = Instant::now();
                let ok = client.post(b).await.map(|r| r.status() == 200).unwrap_or(false);
                (t.elapsed(), ok)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let failures = results.iter().filter(|(_, ok)| !ok).count();
    Ok(Posted { latencies: results.into_iter().map(|(d, _)| d).collect(), failures })
}

fn report(what: &str, statements: usize, elapsed: Duration, posted: &Posted) {
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

/// Posts `n` single statements one after another and measures, for each, the time from the POST's answer
/// until a GET by id finds it.
async fn lag(client: &Client, n: usize, templates: &[Value]) -> anyhow::Result<Vec<Duration>> {
    let mut lags = Vec::with_capacity(n);
    for i in 0..n {
        let res = client.post(body(templates, i, 1, false)).await?;
        let ids: Vec<String> = res.json().await?;
        let acked = Instant::now();
        let id = ids.first().context("no id returned")?;
        let deadline = acked + Duration::from_secs(60);
        while !client.visible(id).await? {
            if Instant::now() > deadline {
                bail!("statement {id} not visible after 60 s");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        lags.push(acked.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(lags)
}

fn print_lag(what: &str, lags: &[Duration]) {
    let mut l = lags.to_vec();
    println!(
        "   {what:<11} p50 {:>7.1} ms   p99 {:>7.1} ms   ({} samples)",
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
fn pid_of(name: &str) -> Option<String> {
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
    let pid = pid_of(name)?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
}

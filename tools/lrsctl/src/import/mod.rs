//! `lrsctl import --store S FILE|-` and `lrsctl import --store S --from-lrs URL --key K --secret S`: statements
//! into a store through the admin API (`POST /admin/import`), in batches, several in flight, keeping `id`,
//! `stored`, `authority` and `timestamp`. Idempotent (the LRS stores nothing twice), so an interrupted import
//! is resumed by running it again: a state file records how far the source is imported, and the run starts
//! after that.

mod from_lrs;
mod progress;
mod split;

use anyhow::{bail, Context};
use futures::StreamExt;
use lrs_common::Settings;
use progress::{Counts, Progress};
use serde_json::Value;
use split::{Item, Splitter};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Statements per request, and the bytes a request stays under.
const BATCH: usize = 1000;
const BATCH_BYTES: usize = 4 << 20;
/// Requests in flight.
const IN_FLIGHT: usize = 4;

#[derive(Debug, clap::Args)]
pub struct Options {
    /// The store to import into (it must exist: `lrsctl stores create`).
    #[arg(long)]
    store: String,
    /// NDJSON or a JSON array of statements, optionally gzip-compressed; `-` reads stdin.
    #[arg(required_unless_present = "from_lrs", conflicts_with = "from_lrs")]
    file: Option<String>,
    /// Pull the statements of another LRS through its xAPI API instead (its base URL, up to `/statements`,
    /// e.g. https://lrs.example.com/xapi).
    #[arg(long, requires_all = ["key", "secret"])]
    from_lrs: Option<String>,
    /// The other LRS's credential: its key...
    #[arg(long)]
    key: Option<String>,
    /// ...and its secret.
    #[arg(long)]
    secret: Option<String>,
    /// With --from-lrs: an xAPI statement filter (repeatable): agent=<JSON>, verb=, activity=, since=, ...
    #[arg(long = "filter", value_parser = split_pair)]
    filters: Vec<(String, String)>,
    /// Where progress is recorded for resuming (default: next to FILE, or in the current directory for
    /// --from-lrs; stdin is resumable only with this option).
    #[arg(long)]
    state: Option<PathBuf>,
    /// This LRS's base URL (default: LRS_PUBLIC_URL).
    #[arg(long)]
    url: Option<String>,
}

fn split_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| format!("{s:?}: use name=value"))
}

pub type Batches = futures::stream::BoxStream<'static, anyhow::Result<Batch>>;

/// One request's statements: their JSON texts and where each came from.
pub struct Batch {
    pub texts: Vec<Vec<u8>>,
    /// The line (file) or description (another LRS) of each statement, for rejections.
    pub origins: Vec<String>,
    /// Written to the state file once this batch and all before it are imported.
    pub resume: Value,
}

impl Batch {
    fn body(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(self.texts.iter().map(|t| t.len() + 1).sum::<usize>() + 2);
        body.push(b'[');
        for (i, t) in self.texts.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(t);
        }
        body.push(b']');
        body
    }
}

pub async fn run(settings: &Settings, o: Options) -> anyhow::Result<()> {
    let target = Target::new(settings, o.url.clone(), &o.store)?;
    let progress = Progress::start();
    let counts = match (&o.from_lrs, &o.file) {
        (Some(url), _) => {
            let state = o.state.clone().unwrap_or_else(|| PathBuf::from(format!("lrsctl-import-{}.state", o.store)));
            let source = from_lrs::Source::new(url, o.key.as_deref(), o.secret.as_deref(), &o.filters)?;
            let start = resume_point(&state, &o.store)?.and_then(|v| v["next"].as_str().map(String::from));
            let batches = source.batches(start);
            target.send(batches, &state, &progress).await?
        }
        (None, Some(file)) => {
            let state = o
                .state
                .clone()
                .or_else(|| (file != "-").then(|| PathBuf::from(format!("{file}.{}.import-state", o.store))));
            let skip = match &state {
                Some(s) => resume_point(s, &o.store)?.and_then(|v| v["line"].as_u64()).unwrap_or(0),
                None => 0,
            };
            if skip > 0 {
                eprintln!("resuming after line {skip} (from the state file; delete it to start over)");
            }
            let batches = file_batches(file.clone(), skip, progress.counts())?;
            let state = state.unwrap_or_default();
            target.send(batches, &state, &progress).await?
        }
        (None, None) => bail!("give a FILE (or -) or --from-lrs"),
    };
    progress.finish(&o.store, &counts);
    if counts.rejected > 0 {
        bail!("{} statements were rejected (listed above)", counts.rejected);
    }
    Ok(())
}

/// The state file's content, when it is for this store.
fn resume_point(path: &Path, store: &str) -> anyhow::Result<Option<Value>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    let v: Value = serde_json::from_str(&text).with_context(|| format!("state file {}", path.display()))?;
    if v["store"] != store {
        bail!("state file {} is for store {}, not {store:?}; delete it or pass --state", path.display(), v["store"]);
    }
    Ok(Some(v))
}

/// Reads the file on a thread, splitting it into batches; sends them through a small channel so that reading
/// keeps ahead of the requests without holding the file in memory.
fn file_batches(file: String, skip_through: u64, counts: std::sync::Arc<progress::Shared>) -> anyhow::Result<Batches> {
    let input: Box<dyn Read + Send> = if file == "-" {
        Box::new(std::io::stdin())
    } else {
        let f = std::fs::File::open(&file).with_context(|| format!("opening {file}"))?;
        counts.set_total_bytes(f.metadata().map(|m| m.len()).unwrap_or(0));
        Box::new(progress::Counted::new(f, counts.clone()))
    };
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let gzip = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let mut reader: Box<dyn Read + Send> =
        if gzip { Box::new(flate2::read::MultiGzDecoder::new(reader)) } else { Box::new(reader) };
    let (tx, rx) = tokio::sync::mpsc::channel::<anyhow::Result<Batch>>(IN_FLIGHT * 2);
    std::thread::spawn(move || {
        let mut splitter = Splitter::default();
        let mut batch = Batch { texts: Vec::new(), origins: Vec::new(), resume: Value::Null };
        let (mut bytes, mut last_line) = (0usize, 0u64);
        let mut buf = vec![0u8; 1 << 20];
        let mut items = Vec::new();
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => {
                    splitter.finish(&mut items);
                    0
                }
                Ok(n) => {
                    splitter.feed(&buf[..n], &mut items);
                    n
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(anyhow::anyhow!("reading {file}: {e}")));
                    return;
                }
            };
            for item in items.drain(..) {
                let line = match &item {
                    Item::Value { line, .. } | Item::Junk { line, .. } => *line,
                };
                if line <= skip_through {
                    counts.add_skipped(1);
                    continue;
                }
                last_line = line;
                match item {
                    Item::Value { text, .. } => match serde_json::from_slice::<serde::de::IgnoredAny>(&text) {
                        Ok(_) => {
                            bytes += text.len();
                            batch.texts.push(text);
                            batch.origins.push(format!("line {line}"));
                        }
                        Err(e) => counts.reject(&format!("line {line}"), &format!("not valid JSON ({e})")),
                    },
                    Item::Junk { reason, .. } => counts.reject(&format!("line {line}"), reason),
                }
                if batch.texts.len() >= BATCH || bytes >= BATCH_BYTES {
                    // Resuming restarts after the last line of this batch (the next starts after it).
                    batch.resume = serde_json::json!({"line": last_line});
                    let full = std::mem::replace(
                        &mut batch,
                        Batch { texts: Vec::new(), origins: Vec::new(), resume: Value::Null },
                    );
                    bytes = 0;
                    if tx.blocking_send(Ok(full)).is_err() {
                        return;
                    }
                }
            }
            if n == 0 {
                break;
            }
        }
        batch.resume = serde_json::json!({"line": last_line});
        let _ = tx.blocking_send(Ok(batch));
    });
    Ok(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) }).boxed())
}

/// This LRS's import endpoint.
struct Target {
    http: reqwest::Client,
    url: String,
    store: String,
    key: String,
    secret: String,
}

impl Target {
    fn new(settings: &Settings, url: Option<String>, store: &str) -> anyhow::Result<Target> {
        let base = url.unwrap_or_else(|| settings.public_url.clone());
        Ok(Target {
            http: reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?,
            url: format!("{}/admin/import?store={}", base.trim_end_matches('/'), lrs_common::http::form::escape(store)),
            store: store.to_string(),
            key: settings.admin_key.clone(),
            secret: settings.admin_secret.clone(),
        })
    }

    /// Sends the batches, IN_FLIGHT at a time, in order; after each, records the resume point.
    async fn send(&self, batches: Batches, state: &Path, progress: &Progress) -> anyhow::Result<Counts> {
        let mut done = batches
            .map(|b| async move {
                let b = b?;
                self.post(&b).await.map(|answer| (b, answer))
            })
            .buffered(IN_FLIGHT);
        while let Some(result) = done.next().await {
            let (batch, answer) = result?;
            progress.record(&batch, &answer);
            if !state.as_os_str().is_empty() && !batch.resume.is_null() {
                let mut resume = batch.resume.clone();
                resume["store"] = Value::String(self.store.clone());
                std::fs::write(state, resume.to_string()).with_context(|| format!("writing {}", state.display()))?;
            }
        }
        let counts = progress.counts().snapshot();
        if !state.as_os_str().is_empty() {
            // Finished (rejections were reported): a new run starts from the beginning, and stores nothing twice.
            let _ = std::fs::remove_file(state);
        }
        Ok(counts)
    }

    /// One batch, retried while the LRS is unavailable (the import is idempotent, so a retry is harmless).
    async fn post(&self, batch: &Batch) -> anyhow::Result<Value> {
        if batch.texts.is_empty() {
            return Ok(serde_json::json!({"imported": 0, "unchanged": 0, "rejected": []}));
        }
        let body = batch.body();
        let (mut wait, mut attempt) = (Duration::from_millis(200), 0);
        loop {
            attempt += 1;
            let sent = self
                .http
                .post(&self.url)
                .basic_auth(&self.key, Some(&self.secret))
                .header("Content-Type", "application/json")
                .body(body.clone())
                .send()
                .await;
            let retry = match sent {
                Ok(res) if res.status().is_success() => return Ok(res.json().await?),
                Ok(res) if res.status().is_server_error() || res.status() == 429 => {
                    format!("{}", res.status())
                }
                Ok(res) => {
                    let status = res.status();
                    bail!("{status}: {}", res.text().await.unwrap_or_default())
                }
                Err(e) => e.to_string(),
            };
            if attempt >= 10 {
                bail!("the LRS kept failing ({retry}); run the same command again to resume");
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(10));
        }
    }
}

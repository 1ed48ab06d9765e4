//! An import's counts, its progress line on a terminal, its rejections on stderr and its final summary.

use super::Batch;
use serde_json::Value;
use std::io::{IsTerminal, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub imported: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub skipped: u64,
}

#[derive(Default)]
pub struct Shared {
    imported: AtomicU64,
    unchanged: AtomicU64,
    rejected: AtomicU64,
    skipped: AtomicU64,
    read_bytes: AtomicU64,
    total_bytes: AtomicU64,
    terminal: AtomicBool,
}

impl Shared {
    pub fn set_total_bytes(&self, n: u64) {
        self.total_bytes.store(n, Relaxed);
    }

    pub fn add_skipped(&self, n: u64) {
        self.skipped.fetch_add(n, Relaxed);
    }

    /// A statement the LRS did not take (or that never reached it), with where it is and why.
    pub fn reject(&self, origin: &str, reason: &str) {
        self.rejected.fetch_add(1, Relaxed);
        let clear = if self.terminal.load(Relaxed) { "\r\x1b[K" } else { "" };
        eprintln!("{clear}{origin}: {reason}");
    }

    pub fn snapshot(&self) -> Counts {
        Counts {
            imported: self.imported.load(Relaxed),
            unchanged: self.unchanged.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            skipped: self.skipped.load(Relaxed),
        }
    }
}

/// A reader that counts the bytes read through it (the progress of a file).
pub struct Counted<R> {
    inner: R,
    shared: Arc<Shared>,
}

impl<R> Counted<R> {
    pub fn new(inner: R, shared: Arc<Shared>) -> Self {
        Counted { inner, shared }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.shared.read_bytes.fetch_add(n as u64, Relaxed);
        Ok(n)
    }
}

pub struct Progress {
    shared: Arc<Shared>,
    started: Instant,
    stop: Arc<AtomicBool>,
}

impl Progress {
    pub fn start() -> Progress {
        let shared = Arc::new(Shared::default());
        let stop = Arc::new(AtomicBool::new(false));
        let terminal = std::io::stderr().is_terminal();
        shared.terminal.store(terminal, Relaxed);
        let started = Instant::now();
        if terminal {
            let (shared, stop) = (shared.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Relaxed) {
                    std::thread::sleep(Duration::from_millis(250));
                    eprint!("\r\x1b[K{}", line(&shared, started));
                    let _ = std::io::stderr().flush();
                }
            });
        }
        Progress { shared, started, stop }
    }

    pub fn counts(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// The LRS's answer to one batch.
    pub fn record(&self, batch: &Batch, answer: &Value) {
        let n = |k: &str| answer[k].as_u64().unwrap_or(0);
        self.shared.imported.fetch_add(n("imported"), Relaxed);
        self.shared.unchanged.fetch_add(n("unchanged"), Relaxed);
        for r in answer["rejected"].as_array().into_iter().flatten() {
            let origin =
                r["index"].as_u64().and_then(|i| batch.origins.get(i as usize)).map_or("a statement", String::as_str);
            self.shared.reject(origin, r["error"].as_str().unwrap_or("rejected"));
        }
    }

    pub fn finish(&self, store: &str, c: &Counts) {
        self.stop.store(true, Relaxed);
        let secs = self.started.elapsed().as_secs_f64();
        let clear = if self.shared.terminal.load(Relaxed) { "\r\x1b[K" } else { "" };
        let handled = c.imported + c.unchanged + c.rejected;
        eprintln!(
            "{clear}import into store {store:?}: {} imported, {} already stored, {} rejected{} in {secs:.1}s \
             ({:.0} statements/s)",
            c.imported,
            c.unchanged,
            c.rejected,
            if c.skipped > 0 { format!(", {} skipped (imported by an earlier run)", c.skipped) } else { String::new() },
            handled as f64 / secs.max(0.001),
        );
    }
}

fn line(s: &Shared, started: Instant) -> String {
    let c = s.snapshot();
    let done = c.imported + c.unchanged + c.rejected;
    let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001);
    let total = s.total_bytes.load(Relaxed);
    let share = if total > 0 {
        let pct = s.read_bytes.load(Relaxed) as f64 * 100.0 / total as f64;
        let filled = (pct / 5.0) as usize;
        format!("[{}{}] {pct:.0}% ", "#".repeat(filled.min(20)), " ".repeat(20 - filled.min(20)))
    } else {
        String::new()
    };
    format!(
        "{share}{done} statements ({} imported, {} already stored, {} rejected), {rate:.0}/s",
        c.imported, c.unchanged, c.rejected
    )
}

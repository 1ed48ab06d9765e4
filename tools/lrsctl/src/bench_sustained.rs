//! The sustained phase: batches posted without pause for a fixed time (a minute by default), the backlog
//! (acknowledged, not yet stored) printed every ten seconds so that a pipeline which does not keep up shows
//! it growing; then the drain, the end-to-end rate, CPU per statement and each service's peak RSS.

use crate::bench::{body, report, Client, Ids, Posted};
use crate::bench_rss::RssPeaks;
use futures::StreamExt;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Load {
    pub ids: Ids,
    /// Registrations and templates are numbered from here (the store's size keeps runs apart).
    pub from: usize,
    pub seconds: u64,
    pub batch_size: usize,
    pub clients: usize,
}

/// What the phase acknowledged (the caller's expected store size grows by it).
pub struct Sustained {
    pub acknowledged: u64,
}

pub async fn run(client: &Client, templates: &[Value], load: &Load) -> anyhow::Result<Sustained> {
    client.wait_caught_up().await?;
    let base = client.stored_count().await?;
    let acknowledged = Arc::new(AtomicU64::new(0));
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let failed = Arc::new(AtomicU64::new(0));
    let peaks = RssPeaks::default();
    let sampling = peaks.sample();
    let cpu = crate::bench_cpu::CpuSample::now();
    let started = Instant::now();
    let end = started + Duration::from_secs(load.seconds);

    let reporter = {
        let (client, acknowledged) = (client.clone(), acknowledged.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(
                tokio::time::Instant::now() + Duration::from_secs(10),
                Duration::from_secs(10),
            );
            loop {
                tick.tick().await;
                let acked = acknowledged.load(Ordering::Relaxed);
                let Ok(stored) = client.stored_count().await else { continue };
                let stored = stored.saturating_sub(base);
                println!(
                    "   {:>4.0}s: {acked} acknowledged, {stored} stored, backlog {}",
                    started.elapsed().as_secs_f64(),
                    acked.saturating_sub(stored)
                );
            }
        })
    };

    let size = load.batch_size;
    futures::stream::iter(0usize..)
        .take_while(|_| std::future::ready(Instant::now() < end))
        .map(|b| {
            let payload = body(templates, load.from + b * size, size, true, load.ids);
            let (acknowledged, latencies, failed) = (acknowledged.clone(), latencies.clone(), failed.clone());
            async move {
                let t = Instant::now();
                let ok = client.post_once(payload).await;
                if ok {
                    acknowledged.fetch_add(size as u64, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                if let Ok(mut l) = latencies.lock() {
                    l.push(t.elapsed());
                }
            }
        })
        .buffer_unordered(load.clients)
        .collect::<()>()
        .await;
    let posting = started.elapsed();
    let acked = acknowledged.load(Ordering::Relaxed);
    let posted = Posted {
        latencies: latencies.lock().map(|l| l.clone()).unwrap_or_default(),
        failures: failed.load(Ordering::Relaxed) as usize,
    };
    report("sustained", acked as usize, posting, &posted);
    client.wait_stored(base + acked).await?;
    reporter.abort();
    let total = started.elapsed();
    println!(
        "   {:>10.0} statements/s end to end (all stored {:.1}s after the start, {:.1}s after the last acknowledgement)",
        acked as f64 / total.as_secs_f64(),
        total.as_secs_f64(),
        (total - posting).as_secs_f64()
    );
    cpu.print_since(acked as usize, total.as_secs_f64());
    drop(sampling);
    peaks.print("during the phase");
    Ok(Sustained { acknowledged: acked })
}

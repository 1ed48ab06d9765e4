//! The store-size phase: fills the store towards a large size (bounded in time), then measures ingest and
//! queries again, so that the figures at the starting store and at the large one can be set side by side
//! (the goal: reads as fast, ingest within 10%).

use crate::bench::{body, post_all, report, Client, Ids};
use futures::StreamExt;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Statements per request while filling: large enough that the gateway is not the limit.
const FILL_BATCH: usize = 500;

pub struct Options {
    pub target: u64,
    pub fill_for: Duration,
    pub seconds: u64,
    pub batch_size: usize,
    pub singles: usize,
    pub clients: usize,
    pub query_samples: usize,
}

/// What a fill posted: statements acknowledged, and requests refused for good.
pub struct Fill {
    pub acknowledged: u64,
    pub refused: u64,
}

/// Posts `statements` (client-chosen ids, registrations numbered from `from`) in batches until all are
/// acknowledged or `until` passes. Bodies are built as they are sent, so a fill of millions never holds them
/// all; a lagging LRS (503) is waited for as its Retry-After asks.
pub async fn fill(
    client: &Client,
    templates: &[Value],
    from: usize,
    statements: usize,
    clients: usize,
    until: Instant,
) -> Fill {
    let acknowledged = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    futures::stream::iter(0..statements.div_ceil(FILL_BATCH))
        .take_while(|_| std::future::ready(Instant::now() < until))
        .map(|b| {
            let n = FILL_BATCH.min(statements - b * FILL_BATCH);
            let payload = body(templates, from + b * FILL_BATCH, n, true, Ids::Client);
            let (acknowledged, refused) = (acknowledged.clone(), refused.clone());
            async move {
                if client.post_retrying(payload, 20).await {
                    acknowledged.fetch_add(n as u64, Ordering::Relaxed);
                } else {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
        .buffer_unordered(clients)
        .collect::<()>()
        .await;
    Fill { acknowledged: acknowledged.load(Ordering::Relaxed), refused: refused.load(Ordering::Relaxed) }
}

pub async fn run(client: &Client, templates: &[Value], o: &Options) -> anyhow::Result<()> {
    let have = client.stored_count().await?;
    println!(
        "\n8. store size: from {have} towards {} statements (filling for at most {} min), then ingest and queries again",
        o.target,
        o.fill_for.as_secs() / 60
    );
    if have < o.target {
        let started = Instant::now();
        let filled =
            fill(client, templates, have as usize, (o.target - have) as usize, o.clients, started + o.fill_for).await;
        client.wait_stored(have + filled.acknowledged).await?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "   filled {} statements in {secs:.0}s ({:.0} statements/s end to end; {} requests refused)",
            filled.acknowledged,
            filled.acknowledged as f64 / secs,
            filled.refused
        );
    }
    let size = client.stored_count().await?;
    println!("   the store holds {size} statements");

    let offset = size as usize;
    let load = crate::bench_sustained::Load {
        ids: Ids::Client,
        from: offset,
        seconds: o.seconds,
        batch_size: o.batch_size,
        clients: o.clients,
    };
    let sustained = crate::bench_sustained::run(client, templates, &load).await?;
    let offset = offset + sustained.acknowledged as usize;
    client.wait_caught_up().await?;

    let singles: Vec<Vec<u8>> = (0..o.singles).map(|i| body(templates, offset + i, 1, false, Ids::Client)).collect();
    let peaks = crate::bench_rss::RssPeaks::default();
    let sampling = peaks.sample();
    let cpu = crate::bench_cpu::CpuSample::now();
    let started = Instant::now();
    let posted = post_all(client, singles, o.clients * 4).await?;
    report(&format!("single at {size} stored, {} clients", o.clients * 4), o.singles, started.elapsed(), &posted);
    cpu.print_since(o.singles, started.elapsed().as_secs_f64());
    drop(sampling);
    peaks.print("during the phase");

    let size = client.stored_count().await?;
    crate::bench_query::run(client, templates, size, o.query_samples, o.clients).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn fill_requests_cover_the_statements_exactly() {
        let statements = 1_234usize;
        let sizes: Vec<usize> = (0..statements.div_ceil(super::FILL_BATCH))
            .map(|b| super::FILL_BATCH.min(statements - b * super::FILL_BATCH))
            .collect();
        assert_eq!(sizes, vec![500, 500, 234]);
    }
}

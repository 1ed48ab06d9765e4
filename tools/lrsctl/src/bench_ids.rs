//! Client-chosen ids against LRS-assigned ids, measured so that the difference is the LRS's and not the
//! machine's: the two kinds alternate in ABBA order (drift in the machine's state cancels out), every round
//! starts once the previous one is stored (no backlog carried over), and the median round of each kind is
//! reported with the ratio.

use crate::bench::{body, percentile, post_all, Client, Ids, Posted};
use serde_json::Value;
use std::time::{Duration, Instant};

/// One round's figures.
#[derive(Clone, Copy)]
struct Round {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl Round {
    fn of(statements: usize, elapsed: Duration, posted: &Posted) -> Round {
        let mut l = posted.latencies.clone();
        Round {
            per_second: statements as f64 / elapsed.as_secs_f64(),
            p50_ms: percentile(&mut l, 50.0).as_secs_f64() * 1e3,
            p99_ms: percentile(&mut l, 99.0).as_secs_f64() * 1e3,
        }
    }
}

/// The order of the kinds over `pairs` pairs of rounds: client, LRS, LRS, client, client, LRS, ...
fn abba(pairs: usize) -> Vec<Ids> {
    (0..pairs * 2).map(|i| if i.div_ceil(2) % 2 == 0 { Ids::Client } else { Ids::Lrs }).collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// What one request carries in a phase.
pub(crate) struct Shape {
    pub(crate) label: &'static str,
    pub(crate) statements: usize,
    pub(crate) per_request: usize,
    pub(crate) clients: usize,
}

/// Runs `pairs` ABBA pairs of rounds of `shape`, waiting until the store holds `expected` (updated) before
/// each, and prints each kind's median round and the client/LRS ratio.
pub(crate) async fn compare(
    client: &Client,
    templates: &[Value],
    shape: &Shape,
    pairs: usize,
    expected: &mut u64,
) -> anyhow::Result<()> {
    let mut rounds: Vec<(Ids, Round)> = Vec::new();
    let requests = shape.statements.div_ceil(shape.per_request);
    for (n, ids) in abba(pairs).into_iter().enumerate() {
        let bodies: Vec<Vec<u8>> = (0..requests)
            .map(|r| body(templates, r * shape.per_request, shape.per_request, shape.per_request > 1, ids))
            .collect();
        client.wait_stored(*expected).await?;
        let started = Instant::now();
        let posted = post_all(client, bodies, shape.clients).await?;
        let round = Round::of(requests * shape.per_request, started.elapsed(), &posted);
        *expected += (requests * shape.per_request - posted.failures * shape.per_request) as u64;
        println!(
            "   round {}: ids by {:<6} {:>9.0} statements/s   p50 {:>6.1} ms   p99 {:>6.1} ms{}",
            n + 1,
            ids.label(),
            round.per_second,
            round.p50_ms,
            round.p99_ms,
            if posted.failures > 0 { format!("   ({} failed)", posted.failures) } else { String::new() }
        );
        rounds.push((ids, round));
    }
    let of = |want: Ids, f: fn(&Round) -> f64| {
        median(rounds.iter().filter(|(ids, _)| ids.label() == want.label()).map(|(_, r)| f(r)).collect())
    };
    let (c, l) = (Ids::Client, Ids::Lrs);
    let (client_rate, lrs_rate) = (of(c, |r| r.per_second), of(l, |r| r.per_second));
    println!(
        "   {}: client ids {:.0}/s (p50 {:.1} ms, p99 {:.1} ms) vs LRS ids {:.0}/s (p50 {:.1} ms, p99 {:.1} ms): {:+.1}% throughput",
        shape.label,
        client_rate,
        of(c, |r| r.p50_ms),
        of(c, |r| r.p99_ms),
        lrs_rate,
        of(l, |r| r.p50_ms),
        of(l, |r| r.p99_ms),
        (client_rate / lrs_rate - 1.0) * 100.0
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abba_alternates_pairs() {
        let labels: Vec<&str> = abba(3).into_iter().map(Ids::label).collect();
        assert_eq!(labels, ["client", "LRS", "LRS", "client", "client", "LRS"]);
    }

    #[test]
    fn median_of_odd_and_empty() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![]), 0.0);
    }
}

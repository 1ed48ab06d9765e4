//! Bounded lag: the gateway refuses statement writes (503 with `Retry-After`) while the processors are further
//! behind than `LRS_MAX_LAG_MS`, so that a load beyond what the pipeline writes turns into client retries (which
//! every xAPI client does on 503) instead of a backlog, and a visibility delay, that grows without bound.
//!
//! The lag is read once a second from the processors' watermarks (`partition_watermarks`, as for
//! `X-Experience-API-Consistent-Through`): now minus the oldest partition's consistent-through time. When it
//! cannot be read (ClickHouse unreachable, no watermark yet) writes are accepted: Kafka holds them durably, and
//! the refusal is a brake, not a safety condition.

use crate::metrics::PROCESSOR_LAG;
use lrs_common::clickhouse::Db;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A lag older than this is not trusted (the poller could not read a fresher one).
const STALE_MS: i64 = 10_000;

pub struct LagGuard {
    max_lag_ms: i64,
    /// The lag last read (ms), and when (epoch ms); `-1` when never read.
    lag_ms: AtomicI64,
    read_at_ms: AtomicI64,
}

impl LagGuard {
    /// A guard that never refuses (`max_lag` zero, or no ClickHouse).
    pub fn off() -> Arc<LagGuard> {
        Arc::new(LagGuard { max_lag_ms: 0, lag_ms: AtomicI64::new(-1), read_at_ms: AtomicI64::new(0) })
    }

    /// A guard that reads `lag_ms` now and never again (tests).
    #[cfg(test)]
    pub fn fixed(max_lag_ms: i64, lag_ms: i64) -> Arc<LagGuard> {
        Arc::new(LagGuard {
            max_lag_ms,
            lag_ms: AtomicI64::new(lag_ms),
            read_at_ms: AtomicI64::new(lrs_common::now_ms()),
        })
    }

    /// Starts polling `topic`'s watermarks once a second.
    pub fn start(db: Db, topic: String, max_lag: Duration) -> Arc<LagGuard> {
        let guard = Arc::new(LagGuard {
            max_lag_ms: max_lag.as_millis() as i64,
            lag_ms: AtomicI64::new(-1),
            read_at_ms: AtomicI64::new(0),
        });
        if guard.max_lag_ms == 0 {
            return guard;
        }
        let weak = Arc::downgrade(&guard);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(guard) = weak.upgrade() else { return };
                match read_lag(&db, &topic).await {
                    Ok(Some(lag)) => {
                        guard.lag_ms.store(lag, Ordering::Relaxed);
                        guard.read_at_ms.store(lrs_common::now_ms(), Ordering::Relaxed);
                        PROCESSOR_LAG.set(lag as f64 / 1000.0);
                    }
                    Ok(None) => {}
                    Err(e) => tracing::debug!(error = %e, "processor lag not read"),
                }
            }
        });
        guard
    }

    /// `Some(seconds to wait)` when writes are to be refused now.
    pub fn refuse(&self) -> Option<u64> {
        refusal(
            self.max_lag_ms,
            self.lag_ms.load(Ordering::Relaxed),
            lrs_common::now_ms() - self.read_at_ms.load(Ordering::Relaxed),
        )
    }
}

fn refusal(max_lag_ms: i64, lag_ms: i64, age_ms: i64) -> Option<u64> {
    if max_lag_ms <= 0 || lag_ms < 0 || age_ms > STALE_MS || lag_ms <= max_lag_ms {
        return None;
    }
    // Come back when the excess should be drained, between 1 and 30 s.
    Some((((lag_ms - max_lag_ms) / 1000) as u64).clamp(1, 30))
}

async fn read_lag(db: &Db, topic: &str) -> Result<Option<i64>, lrs_common::clickhouse::DbError> {
    let now = lrs_common::now_ms();
    let marks = lrs_common::clickhouse::watermarks::marks(db, topic).await?;
    Ok(lrs_common::clickhouse::watermarks::through_ms(&marks, now).map(|through| now - through))
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn refuses_only_a_fresh_lag_over_the_bound() {
        assert_eq!(refusal(60_000, 59_000, 500), None);
        assert_eq!(refusal(60_000, 61_000, 500), Some(1));
        assert_eq!(refusal(60_000, 75_000, 500), Some(15));
        assert_eq!(refusal(60_000, 600_000, 500), Some(30));
        assert_eq!(refusal(60_000, 600_000, 20_000), None, "stale");
        assert_eq!(refusal(60_000, -1, 0), None, "never read");
        assert_eq!(refusal(0, 600_000, 0), None, "off");
    }
}

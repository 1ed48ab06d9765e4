//! The one retry delay of the LRS: exponential from `initial`, capped at `max`, with jitter so that replicas
//! that failed together do not retry in lockstep. Every retry loop (inserts, dead letters, document
//! commands, lookups) takes its delays from here.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
    attempts: u32,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff { initial, max, next: initial, attempts: 0 }
    }

    /// The delay before the next attempt (each one about twice the last, up to `max`).
    pub fn next_delay(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        self.attempts += 1;
        // Up to a quarter less, from the clock's sub-second bits: enough to spread replicas apart.
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let jitter = base.mul_f64(f64::from(nanos % 1000) / 4000.0);
        base.saturating_sub(jitter)
    }

    /// Delays this far into a slowdown: pushes the next delay to `max` at once (ClickHouse asking to slow
    /// down is not a failure to retry quickly).
    pub fn slow_down(&mut self) {
        self.next = self.max;
    }

    /// Failed attempts since the last success.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    pub fn reset(&mut self) {
        self.next = self.initial;
        self.attempts = 0;
    }

    /// Sleeps for the next delay, unless `shutdown` comes first (false then).
    pub async fn wait(&mut self, shutdown: &crate::Shutdown) -> bool {
        let delay = self.next_delay();
        tokio::select! {
            _ = shutdown.wait() => false,
            _ = tokio::time::sleep(delay) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_with_jitter_below() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(800));
        let delays: Vec<Duration> = (0..6).map(|_| b.next_delay()).collect();
        for (d, base) in delays.iter().zip([100, 200, 400, 800, 800, 800]) {
            assert!(*d <= Duration::from_millis(base) && *d >= Duration::from_millis(base * 3 / 4), "{d:?} vs {base}");
        }
        assert_eq!(b.attempts(), 6);
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
        b.slow_down();
        assert!(b.next_delay() >= Duration::from_millis(600));
    }
}

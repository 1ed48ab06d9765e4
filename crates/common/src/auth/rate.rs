//! Per-credential request rate limit (a token bucket per key, per replica): off unless
//! `LRS_RATE_LIMIT_PER_S` is set; a request over it gets 429 with `Retry-After`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct RateLimit {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimit {
    /// `per_second` requests a second on average, up to `burst` at once.
    pub fn new(per_second: f64, burst: f64) -> Self {
        RateLimit { per_second, burst: burst.max(1.0), buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request's token for `key`, or says how long until one is there.
    pub fn admit(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((self.burst, now));
        *tokens = (*tokens + now.saturating_duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / self.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let r = RateLimit::new(10.0, 3.0);
        let t = Instant::now();
        for _ in 0..3 {
            assert!(r.admit("k", t).is_ok());
        }
        let wait = r.admit("k", t).unwrap_err();
        assert!(wait > Duration::from_millis(90) && wait <= Duration::from_millis(100), "{wait:?}");
        assert!(r.admit("other", t).is_ok(), "per key");
        assert!(r.admit("k", t + Duration::from_millis(100)).is_ok());
        assert!(r.admit("k", t + Duration::from_millis(100)).is_err());
    }
}

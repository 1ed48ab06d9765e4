//! Read-your-writes, and `X-Experience-API-Consistent-Through`.
//!
//! A statement read first passes the read barrier (`lrs_common::kafka::barrier`): it waits, at most
//! `LRS_READ_WAIT_MS`, until the processors have written everything Kafka acknowledged before the read
//! started. Passed, the store is consistent through the read's start (less `LRS_CONSISTENCY_SKEW_MS`, for
//! writes still in flight to Kafka at that moment). Not passed in time (a processor far behind, or Kafka
//! unreachable), the read is answered as the store stands, and the header says how far that is: each
//! processor records, per partition, until when that partition is completely written; the minimum over all
//! partitions (a partition with no record yet holds the value back instead of letting it run ahead).

use crate::metrics::READ_WAIT;
use lrs_common::clickhouse::{watermarks, Db, DbError};
use lrs_common::kafka::barrier::{Barrier, Target, Wait};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Recomputing at most this often keeps the header cheap under load.
const REFRESH: Duration = Duration::from_millis(200);

pub struct Consistency {
    db: Db,
    topic: String,
    cached: Mutex<Option<(Instant, i64)>>,
    barrier: Option<Barrier>,
    read_wait: Duration,
    skew_ms: i64,
}

impl Consistency {
    pub fn new(db: Db, topic: String, barrier: Option<Barrier>, read_wait: Duration, skew_ms: i64) -> Self {
        Consistency { db, topic, cached: Mutex::new(None), barrier, read_wait, skew_ms }
    }

    /// Waits for the writes acknowledged before this call; returns the instant (epoch ms) through which the
    /// store is consistent for the read that follows.
    pub async fn settle(&self) -> Result<i64, DbError> {
        let started_ms = lrs_common::now_ms();
        let started = Instant::now();
        let wait = match &self.barrier {
            Some(b) => b.wait(Target::CurrentEnd, self.read_wait).await,
            None => Wait::Unavailable,
        };
        let outcome = match wait {
            Wait::Passed => "passed",
            Wait::TimedOut => "timeout",
            Wait::Unavailable => "unavailable",
        };
        READ_WAIT.with_label_values(&[outcome]).observe(started.elapsed().as_secs_f64());
        match wait {
            Wait::Passed => Ok(started_ms - self.skew_ms),
            _ => self.through_ms().await,
        }
    }

    /// Epoch milliseconds through which the store is consistent (0 when nothing is known yet).
    pub async fn through_ms(&self) -> Result<i64, DbError> {
        if let Ok(guard) = self.cached.lock() {
            if let Some((at, value)) = *guard {
                if at.elapsed() < REFRESH {
                    return Ok(value);
                }
            }
        }
        let marks = watermarks::marks(&self.db, &self.topic).await?;
        let value = watermarks::through_ms(&marks, lrs_common::now_ms()).unwrap_or(0);
        if let Ok(mut guard) = self.cached.lock() {
            *guard = Some((Instant::now(), value));
        }
        Ok(value)
    }
}

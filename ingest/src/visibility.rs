//! The visible acknowledgement mode: after Kafka acknowledged a request's record, wait until the processors
//! have committed past it (they commit only after writing), so the write is readable when it is answered.
//! Waits on the same read barrier as the query service (Kafka offsets only, no ClickHouse polling). A wait
//! that times out still answers (the write is durable) but says so: `X-LRS-Visibility: pending`.

use crate::metrics::VISIBLE_WAIT;
use lrs_common::kafka::barrier::{Barrier, Target, Wait};
use lrs_common::kafka::Delivered;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub const HEADER: &str = "x-lrs-visibility";

pub struct Visibility {
    barrier: Barrier,
    timeout: Duration,
}

impl Visibility {
    pub fn new(barrier: Barrier, timeout: Duration) -> Self {
        Visibility { barrier, timeout }
    }

    /// Waits until the record at `at` is written; false when it is not within the timeout.
    pub async fn wait(&self, at: Delivered) -> bool {
        let started = Instant::now();
        let target = Target::Offsets(BTreeMap::from([(at.partition, at.offset + 1)]));
        let visible = self.barrier.wait(target, self.timeout).await == Wait::Passed;
        VISIBLE_WAIT
            .with_label_values(&[if visible { "visible" } else { "timeout" }])
            .observe(started.elapsed().as_secs_f64());
        if !visible {
            tracing::warn!(
                partition = at.partition,
                offset = at.offset,
                "write not visible within the timeout; answered as durable (pending)"
            );
        }
        visible
    }
}

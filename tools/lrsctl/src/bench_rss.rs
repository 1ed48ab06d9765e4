//! Each local service's resident memory during a phase: sampled every few hundred milliseconds, the highest
//! value kept (VmHWM only knows the peak since the process started, so it cannot tell one phase from another).

use crate::bench_cpu::SERVICES;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
pub struct RssPeaks(Arc<Mutex<BTreeMap<&'static str, u64>>>);

impl RssPeaks {
    /// Samples until the returned handle is dropped.
    pub fn sample(&self) -> Sampling {
        let peaks = self.clone();
        Sampling(tokio::spawn(async move {
            loop {
                peaks.observe();
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }))
    }

    fn observe(&self) {
        let now: Vec<(&'static str, u64)> = SERVICES.iter().filter_map(|s| rss_kb(s).map(|kb| (*s, kb))).collect();
        if let Ok(mut peaks) = self.0.lock() {
            for (name, kb) in now {
                let e = peaks.entry(name).or_insert(kb);
                *e = (*e).max(kb);
            }
        }
    }

    pub fn print(&self, what: &str) {
        self.observe();
        let Ok(peaks) = self.0.lock() else { return };
        if peaks.is_empty() {
            return;
        }
        let parts: Vec<String> = peaks.iter().map(|(n, kb)| format!("{n} {:.0}", *kb as f64 / 1024.0)).collect();
        println!("   peak RSS {what} (MiB): {}", parts.join(", "));
    }
}

pub struct Sampling(tokio::task::JoinHandle<()>);

impl Drop for Sampling {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn rss_kb(name: &str) -> Option<u64> {
    crate::bench::status_kb(name, "VmRSS:")
}

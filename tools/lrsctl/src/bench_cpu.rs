//! Where the CPU goes: each local service's CPU time (user + system, from /proc) over a phase, per 1,000
//! statements, so that the cost of a statement can be followed stage by stage (gateway, Kafka, processor,
//! ClickHouse inserts and merges).

use std::collections::BTreeMap;

pub const SERVICES: [&str; 5] = ["server", "query", "processor", "kafka", "clickhouse"];

/// CPU seconds used so far, per service with a pid file.
pub struct CpuSample(BTreeMap<&'static str, f64>);

impl CpuSample {
    pub fn now() -> CpuSample {
        CpuSample(SERVICES.iter().filter_map(|s| cpu_seconds(s).map(|c| (*s, c))).collect())
    }

    /// Prints each service's CPU milliseconds per 1,000 statements since `self`.
    pub fn print_since(&self, statements: usize, elapsed_s: f64) {
        let now = CpuSample::now();
        if now.0.is_empty() || statements == 0 {
            return;
        }
        let mut parts = Vec::new();
        let mut total = 0.0;
        for (name, after) in &now.0 {
            let used = after - self.0.get(name).copied().unwrap_or(*after);
            total += used;
            parts.push(format!("{name} {:.0}", used * 1e6 / statements as f64));
        }
        println!(
            "   CPU per 1,000 statements (ms): {} = {:.0} ({:.2} of the machine's {} cores busy)",
            parts.join(", "),
            total * 1e6 / statements as f64,
            total / elapsed_s.max(1e-3),
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        );
    }
}

fn cpu_seconds(name: &str) -> Option<f64> {
    let pid = super::bench::pid_of(name)?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15 (1-based).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // Clock ticks: 100 a second on Linux.
    Some((utime + stime) / 100.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_its_own_process() {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let rest = stat.rsplit_once(')').map(|r| r.1).unwrap_or_default();
        assert!(rest.split_whitespace().nth(11).and_then(|f| f.parse::<u64>().ok()).is_some());
    }
}

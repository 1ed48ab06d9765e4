//! The consume loop against a fake consumer and a fake writer: commits only past written offsets, pauses
//! under backpressure, retries a failed write, and drains on a rebalance.

use super::*;
use crate::pipeline::batch::Limits;
use crate::pipeline::context::{Completions, Hooks, RebalanceEvent};
use crate::pipeline::dead_letter::DeadLetters;
use crate::pipeline::{DecodeError, Record, Strategy, WriteError, Writer};
use crate::watermark::PartitionState;
use futures::future::BoxFuture;
use lrs_common::clickhouse::DbError;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

/// What happened, in order, across the source thread and the writer task.
#[derive(Default)]
struct Log(Mutex<Vec<String>>);

impl Log {
    fn push(&self, s: String) {
        self.0.lock().unwrap().push(s);
    }
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// A rebalance the fake performs before the poll with this number.
enum Script {
    Revoke { at_poll: usize, partitions: Vec<i32> },
}

struct FakeConsumer {
    queues: Mutex<BTreeMap<i32, VecDeque<i64>>>,
    paused: Mutex<BTreeSet<i32>>,
    assigned: Mutex<BTreeSet<i32>>,
    polls: AtomicUsize,
    log: Arc<Log>,
    hooks: Arc<Hooks>,
    script: Mutex<Vec<Script>>,
    committed: Mutex<BTreeMap<i32, i64>>,
}

impl FakeConsumer {
    fn new(partitions: &[(i32, i64)], log: Arc<Log>, hooks: Arc<Hooks>, script: Vec<Script>) -> Self {
        let queues = partitions.iter().map(|(p, n)| (*p, (0..*n).collect())).collect();
        let assigned: BTreeSet<i32> = partitions.iter().map(|(p, _)| *p).collect();
        hooks.push(RebalanceEvent::Assigned(assigned.iter().copied().collect()));
        FakeConsumer {
            queues: Mutex::new(queues),
            paused: Mutex::new(BTreeSet::new()),
            assigned: Mutex::new(assigned),
            polls: AtomicUsize::new(0),
            log,
            hooks,
            script: Mutex::new(script),
            committed: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Consumer for FakeConsumer {
    fn poll(&self, timeout: Duration) -> Option<Result<Record, String>> {
        let n = self.polls.fetch_add(1, Ordering::Relaxed);
        let due: Vec<Vec<i32>> = {
            let mut script = self.script.lock().unwrap();
            let (now, later): (Vec<Script>, Vec<Script>) =
                script.drain(..).partition(|Script::Revoke { at_poll, .. }| *at_poll <= n);
            *script = later;
            now.into_iter().map(|Script::Revoke { partitions, .. }| partitions).collect()
        };
        for partitions in due {
            // As librdkafka does: the callback runs inside poll, before the partitions are released.
            self.log.push(format!("revoke {partitions:?}"));
            self.hooks.revoke(partitions.clone(), |next| {
                let _ = self.commit(next, true);
            });
            let mut assigned = self.assigned.lock().unwrap();
            for p in partitions {
                assigned.remove(&p);
                self.queues.lock().unwrap().remove(&p);
            }
        }
        let paused = self.paused.lock().unwrap().clone();
        let mut queues = self.queues.lock().unwrap();
        let next =
            queues.iter_mut().filter(|(p, _)| !paused.contains(p)).find_map(|(p, q)| q.pop_front().map(|o| (*p, o)));
        drop(queues);
        match next {
            Some((partition, offset)) => Some(Ok(Record {
                topic: "t".into(),
                partition,
                offset,
                key: None,
                payload: Some(offset.to_string().into_bytes()),
                headers: vec![],
            })),
            None => {
                std::thread::sleep(timeout.min(Duration::from_millis(2)));
                None
            }
        }
    }

    fn pause(&self, partitions: &[i32]) -> Result<(), String> {
        self.log.push(format!("pause {partitions:?}"));
        self.paused.lock().unwrap().extend(partitions);
        Ok(())
    }

    fn resume(&self, partitions: &[i32]) -> Result<(), String> {
        self.log.push(format!("resume {partitions:?}"));
        let mut paused = self.paused.lock().unwrap();
        for p in partitions {
            paused.remove(p);
        }
        Ok(())
    }

    fn commit(&self, next: &BTreeMap<i32, i64>, sync: bool) -> Result<(), String> {
        if next.is_empty() {
            return Ok(());
        }
        self.log.push(format!("commit {next:?} sync={sync}"));
        self.committed.lock().unwrap().extend(next);
        Ok(())
    }

    fn committed(&self, partitions: &[i32]) -> BTreeMap<i32, i64> {
        let c = self.committed.lock().unwrap();
        partitions.iter().filter_map(|p| c.get(p).map(|o| (*p, *o))).collect()
    }

    fn progress(&self, _partitions: &[i32]) -> Vec<PartitionState> {
        vec![]
    }

    fn partition_count(&self) -> Option<i32> {
        Some(2)
    }

    fn topic(&self) -> &str {
        "t"
    }
}

/// Items are the records' offsets (with their partition).
struct Offsets;

impl Strategy for Offsets {
    type Item = (i32, i64);
    fn decode(&self, r: &Record) -> Result<(i32, i64), DecodeError> {
        Ok((r.partition, r.offset))
    }
    fn weight(_: &(i32, i64)) -> (usize, usize) {
        (1, 1)
    }
}

/// Fails the first `failures` attempts (with TOO_MANY_PARTS when `backpressure`), and holds each write
/// while `hold` is set.
struct FakeWriter {
    log: Arc<Log>,
    failures: AtomicUsize,
    backpressure: bool,
    hold: Arc<std::sync::atomic::AtomicBool>,
    written: Arc<Mutex<Vec<(i32, i64)>>>,
}

impl Writer for FakeWriter {
    type Item = (i32, i64);
    type Work = Vec<(i32, i64)>;
    fn prepare(&self, items: Vec<(i32, i64)>) -> Vec<(i32, i64)> {
        items
    }
    fn write<'a>(&'a self, items: &'a mut Vec<(i32, i64)>) -> BoxFuture<'a, Result<(), WriteError>> {
        Box::pin(async move {
            while self.hold.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            if self.failures.load(Ordering::Relaxed) > 0 {
                self.failures.fetch_sub(1, Ordering::Relaxed);
                self.log.push("write failed".into());
                let text = if self.backpressure { "Code: 252, TOO_MANY_PARTS" } else { "connection refused" };
                return Err(WriteError::Db(DbError::ClickHouse(clickhouse::error::Error::Custom(text.into()))));
            }
            let mut by_partition: BTreeMap<i32, i64> = BTreeMap::new();
            for (p, o) in items.iter() {
                let e = by_partition.entry(*p).or_insert(*o);
                *e = (*e).max(*o);
            }
            self.log.push(format!("written up to {by_partition:?}"));
            self.written.lock().unwrap().extend(items.iter().copied());
            Ok(())
        })
    }
}

type Written = Arc<Mutex<Vec<(i32, i64)>>>;

struct Run {
    log: Arc<Log>,
    written: Arc<Mutex<Vec<(i32, i64)>>>,
    committed: BTreeMap<i32, i64>,
}

/// Runs the loop over `partitions` (partition, record count) until every expected record is written (or
/// 5 s), then shuts it down.
fn run_loop(
    partitions: &[(i32, i64)],
    max_rows: usize,
    writer: impl FnOnce(Arc<Log>, Written) -> FakeWriter,
    script: Vec<Script>,
    expect_written: usize,
    hold: Option<Arc<std::sync::atomic::AtomicBool>>,
) -> Run {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let log = Arc::new(Log::default());
    let written = Arc::new(Mutex::new(Vec::new()));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let hooks = Arc::new(Hooks::new("t", Completions::new(done_rx), Duration::from_secs(2)));
    let consumer = FakeConsumer::new(partitions, log.clone(), hooks.clone(), script);
    let (batches, batch_rx) = tokio::sync::mpsc::channel(1);
    let slow = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let shutdown = Shutdown::new();
    let abort = Shutdown::new();
    let fake = writer(log.clone(), written.clone());
    let dead = {
        let _guard = rt.enter();
        let settings = lrs_common::Settings::from_lookup(|_| None).unwrap();
        Arc::new(DeadLetters::new(lrs_common::kafka::Publisher::new(&settings, "test").unwrap(), "dlq"))
    };
    let writer_task = rt.spawn(super::super::writer::run(
        Arc::new(fake),
        dead,
        batch_rx,
        done_tx,
        slow.clone(),
        abort.clone(),
        "test",
        super::super::writer::Retry { initial: Duration::from_millis(5), max: Duration::from_millis(50) },
    ));
    let config = SourceConfig {
        limits: Limits {
            max_rows,
            max_bytes: 1 << 20,
            max_wait: Duration::from_millis(20),
            idle: Duration::from_millis(3),
        },
        shutdown_grace: Duration::from_secs(2),
        watermarks: None,
    };
    let stopper = {
        let (shutdown, written, log) = (shutdown.clone(), written.clone(), log.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(5);
            if let Some(h) = hold {
                // Held until the source has paused: then the writer catches up.
                while !log.lines().iter().any(|l| l.starts_with("pause")) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(2));
                }
                h.store(false, Ordering::Relaxed);
            }
            while written.lock().unwrap().len() < expect_written && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_millis(50));
            shutdown.trigger();
        })
    };
    run(&consumer, &Offsets, &hooks, &batches, &slow, &shutdown, &config).unwrap();
    drop(batches);
    stopper.join().unwrap();
    rt.block_on(writer_task).unwrap();
    let committed = consumer.committed.lock().unwrap().clone();
    Run { log, written, committed }
}

fn fake(
    failures: usize,
    backpressure: bool,
    hold: Option<Arc<std::sync::atomic::AtomicBool>>,
) -> impl FnOnce(Arc<Log>, Written) -> FakeWriter {
    move |log, written| FakeWriter {
        log,
        failures: AtomicUsize::new(failures),
        backpressure,
        hold: hold.unwrap_or_default(),
        written,
    }
}

/// Every commit names, per partition, an offset no further than one past what was written before it.
fn assert_commits_follow_writes(lines: &[String]) {
    let mut written: BTreeMap<i32, i64> = BTreeMap::new();
    for line in lines {
        if let Some(rest) = line.strip_prefix("written up to ") {
            for (p, o) in parse_map(rest) {
                let e = written.entry(p).or_insert(o);
                *e = (*e).max(o);
            }
        }
        if let Some(rest) = line.strip_prefix("commit ") {
            let map = rest.split(" sync").next().unwrap();
            for (p, o) in parse_map(map) {
                let w = written.get(&p).copied().unwrap_or(-1);
                assert!(o <= w + 1, "commit of {p}:{o} before the write of {}: {lines:#?}", o - 1);
            }
        }
    }
}

fn parse_map(s: &str) -> Vec<(i32, i64)> {
    s.trim_matches(|c| c == '{' || c == '}')
        .split(", ")
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once(": ").unwrap();
            (k.parse().unwrap(), v.parse().unwrap())
        })
        .collect()
}

#[test]
fn a_failed_write_is_retried_and_commits_follow_written_offsets() {
    let r = run_loop(&[(0, 30), (1, 20)], 8, fake(2, false, None), vec![], 50, None);
    let lines = r.log.lines();
    assert!(lines.iter().filter(|l| *l == "write failed").count() == 2, "{lines:#?}");
    assert_commits_follow_writes(&lines);
    assert_eq!(r.committed, BTreeMap::from([(0, 30), (1, 20)]));
    let mut written = r.written.lock().unwrap().clone();
    written.sort();
    written.dedup();
    assert_eq!(written.len(), 50, "every record written");
}

#[test]
fn a_writer_that_is_behind_pauses_the_partitions_until_it_catches_up() {
    let hold = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let r = run_loop(&[(0, 40)], 5, fake(0, false, Some(hold.clone())), vec![], 40, Some(hold));
    let lines = r.log.lines();
    let pause = lines.iter().position(|l| l.starts_with("pause")).expect("paused while the writer was held");
    assert!(lines[pause..].iter().any(|l| l.starts_with("resume")), "resumed once the writer caught up: {lines:#?}");
    assert_commits_follow_writes(&lines);
    assert_eq!(r.committed, BTreeMap::from([(0, 40)]));
}

#[test]
fn too_many_parts_pauses_and_slows_down() {
    let r = run_loop(&[(0, 10)], 4, fake(1, true, None), vec![], 10, None);
    let lines = r.log.lines();
    // Replaying the log: from the refused write until a write succeeds, the partitions end up paused.
    let (mut paused, mut failed, mut paused_while_failing) = (false, false, false);
    for line in &lines {
        match line.as_str() {
            l if l.starts_with("pause") => paused = true,
            l if l.starts_with("resume") => paused = false,
            "write failed" => failed = true,
            l if l.starts_with("written") && failed => {
                paused_while_failing |= paused;
                failed = false;
            }
            _ => {}
        }
        paused_while_failing |= failed && paused;
    }
    assert!(paused_while_failing, "{lines:#?}");
    assert!(!paused, "resumed at the end: {lines:#?}");
    assert_eq!(r.committed, BTreeMap::from([(0, 10)]));
}

#[test]
fn a_revocation_mid_batch_drains_and_commits_before_release() {
    let r = run_loop(
        &[(0, 30), (1, 30)],
        6,
        fake(0, false, None),
        vec![Script::Revoke { at_poll: 12, partitions: vec![1] }],
        30,
        None,
    );
    let lines = r.log.lines();
    assert_commits_follow_writes(&lines);
    let revoke = lines.iter().position(|l| l.starts_with("revoke")).unwrap();
    // Whatever partition 1 had written when it was revoked was committed synchronously inside the callback.
    for line in &lines[revoke + 1..] {
        if line.starts_with("commit") {
            assert!(
                !parse_map(line.trim_start_matches("commit ").split(" sync").next().unwrap())
                    .iter()
                    .any(|(p, _)| *p == 1)
                    || line.ends_with("sync=true"),
                "no asynchronous commit of a revoked partition: {lines:#?}"
            );
        }
    }
    let after: Vec<&String> =
        lines[revoke..].iter().filter(|l| l.starts_with("commit") && l.ends_with("sync=false")).collect();
    assert!(after.iter().all(|l| !l.contains("1: ")), "partition 1 is not committed after its revocation: {after:#?}");
    assert_eq!(r.committed.get(&0), Some(&30));
}

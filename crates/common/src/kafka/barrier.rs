//! Read barriers on a topic, in the style of Raft's ReadIndex: a read that starts now takes the topic's end
//! offsets (everything acknowledged before it started lies below them) and waits until the consumer group
//! that writes the topic to ClickHouse has committed past them (it commits only after the rows are
//! written). Then every write acknowledged before the read is readable. Writes waiting to become visible
//! (the visible acknowledgement mode) wait the same way for their own record's offset.
//!
//! One thread per barrier serves every waiter: the reads that arrive together share one end-offset request,
//! and one committed-offsets request every few milliseconds answers all the waiters at once, so the cost
//! does not grow with the number of concurrent reads. A read that finds nothing pending waits for those two
//! round trips only.

use super::LoggingContext;
use crate::config::Settings;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What a waiter waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Everything in the topic now (a read).
    CurrentEnd,
    /// Partition -> the offset that must be committed (a write's offset + 1).
    Offsets(BTreeMap<i32, i64>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Everything the target names is written.
    Passed,
    /// Not within the wait: the answer goes out as it is, and says how fresh it is.
    TimedOut,
    /// Kafka could not tell (unreachable, or the topic is unknown).
    Unavailable,
}

struct Waiter {
    target: Target,
    deadline: Instant,
    reply: oneshot::Sender<Wait>,
}

#[derive(Clone)]
pub struct Barrier {
    tx: Sender<Waiter>,
}

/// The offsets of one topic and of the consumer group that writes it.
struct Offsets {
    consumer: BaseConsumer<LoggingContext>,
    topic: String,
    partitions: Vec<i32>,
}

const CALL_TIMEOUT: Duration = Duration::from_secs(1);
/// How often the committed offsets are asked while someone waits.
const POLL: Duration = Duration::from_millis(3);

impl Offsets {
    fn partitions(&mut self) -> Result<&[i32], KafkaError> {
        if self.partitions.is_empty() {
            let metadata = self.consumer.fetch_metadata(Some(&self.topic), CALL_TIMEOUT)?;
            self.partitions =
                metadata.topics().first().map(|t| t.partitions().iter().map(|p| p.id()).collect()).unwrap_or_default();
        }
        Ok(&self.partitions)
    }

    fn list(&mut self, offset: Offset) -> Result<TopicPartitionList, KafkaError> {
        let topic = self.topic.clone();
        let mut tpl = TopicPartitionList::new();
        for p in self.partitions()? {
            tpl.add_partition_offset(&topic, *p, offset)?;
        }
        Ok(tpl)
    }

    /// Each partition's end offset (one ListOffsets request for all of them).
    fn ends(&mut self) -> Result<BTreeMap<i32, i64>, KafkaError> {
        let tpl = self.list(Offset::End)?;
        let ends = self.consumer.offsets_for_times(tpl, CALL_TIMEOUT)?;
        Ok(offsets_of(&ends))
    }

    fn committed(&mut self) -> Result<BTreeMap<i32, i64>, KafkaError> {
        let tpl = self.list(Offset::Invalid)?;
        let committed = self.consumer.committed_offsets(tpl, CALL_TIMEOUT)?;
        Ok(offsets_of(&committed))
    }
}

/// The partitions of `tpl` that carry an offset, with it.
pub fn offsets_of(tpl: &TopicPartitionList) -> BTreeMap<i32, i64> {
    tpl.elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some((e.partition(), o)),
            _ => None,
        })
        .collect()
}

/// Whether `committed` covers `target` (a partition never committed covers only an empty target).
pub fn covers(committed: &BTreeMap<i32, i64>, target: &BTreeMap<i32, i64>) -> bool {
    target.iter().all(|(p, want)| *want <= 0 || committed.get(p).is_some_and(|c| c >= want))
}

impl Barrier {
    /// A barrier on `topic` as written by consumer `group`. The client never joins the group: it only reads
    /// the group's committed offsets.
    pub fn new(settings: &Settings, topic: &str, group: &str) -> Result<Barrier, KafkaError> {
        let consumer: BaseConsumer<LoggingContext> = super::base_config(settings, &format!("lrs-barrier-{topic}"))
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .create_with_context(LoggingContext)?;
        let offsets = Offsets { consumer, topic: topic.to_string(), partitions: Vec::new() };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name(format!("lrs-barrier-{topic}"))
            .spawn(move || run(offsets, rx))
            .map_err(|e| KafkaError::ClientCreation(e.to_string()))?;
        Ok(Barrier { tx })
    }

    /// Waits at most `timeout` for `target` to be written.
    pub async fn wait(&self, target: Target, timeout: Duration) -> Wait {
        let (reply, answer) = oneshot::channel();
        let waiter = Waiter { target, deadline: Instant::now() + timeout, reply };
        if self.tx.send(waiter).is_err() {
            return Wait::Unavailable;
        }
        answer.await.unwrap_or(Wait::Unavailable)
    }
}

fn run(mut offsets: Offsets, rx: Receiver<Waiter>) {
    let mut waiting: Vec<(BTreeMap<i32, i64>, Instant, oneshot::Sender<Wait>)> = Vec::new();
    let mut without_ends: Vec<(Instant, oneshot::Sender<Wait>)> = Vec::new();
    loop {
        let first = if waiting.is_empty() && without_ends.is_empty() {
            match rx.recv() {
                Ok(w) => Some(w),
                Err(_) => return,
            }
        } else {
            match rx.recv_timeout(POLL) {
                Ok(w) => Some(w),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        };
        let mut arrived: Vec<Waiter> = first.into_iter().collect();
        while let Ok(w) = rx.try_recv() {
            arrived.push(w);
        }
        for w in arrived {
            match w.target {
                Target::Offsets(o) => waiting.push((o, w.deadline, w.reply)),
                Target::CurrentEnd => without_ends.push((w.deadline, w.reply)),
            }
        }
        // The reads waiting for end offsets share one request, taken after all of them started. A failed
        // request (a slow broker) is tried again on the next round while the reads still have time; a read
        // whose time ran out without one goes without the barrier.
        if !without_ends.is_empty() {
            match offsets.ends() {
                Ok(ends) => {
                    for (deadline, reply) in without_ends.drain(..) {
                        waiting.push((ends.clone(), deadline, reply));
                    }
                }
                Err(e) => {
                    tracing::warn!(topic = offsets.topic, error = %e, "end offsets unavailable; retrying");
                    offsets.partitions.clear();
                    let now = Instant::now();
                    let (keep, expired): (Vec<_>, Vec<_>) =
                        without_ends.drain(..).partition(|(deadline, reply)| now < *deadline && !reply.is_closed());
                    for (_, reply) in expired {
                        let _ = reply.send(Wait::Unavailable);
                    }
                    without_ends = keep;
                }
            }
        }
        if waiting.is_empty() {
            if !without_ends.is_empty() {
                std::thread::sleep(POLL);
            }
            continue;
        }
        let committed = match offsets.committed() {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(topic = offsets.topic, error = %e, "committed offsets unavailable");
                offsets.partitions.clear();
                None
            }
        };
        let now = Instant::now();
        let mut still = Vec::with_capacity(waiting.len());
        for (target, deadline, reply) in waiting {
            if committed.as_ref().is_some_and(|c| covers(c, &target)) {
                let _ = reply.send(Wait::Passed);
            } else if now >= deadline {
                let _ = reply.send(Wait::TimedOut);
            } else if !reply.is_closed() {
                still.push((target, deadline, reply));
            }
        }
        waiting = still;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_offsets_cover_targets() {
        let committed = BTreeMap::from([(0, 10), (1, 5)]);
        assert!(covers(&committed, &BTreeMap::from([(0, 10), (1, 3)])));
        assert!(!covers(&committed, &BTreeMap::from([(0, 11)])));
        assert!(!covers(&committed, &BTreeMap::from([(2, 1)])), "a partition never committed");
        assert!(covers(&committed, &BTreeMap::from([(2, 0)])), "an empty partition needs nothing");
    }
}

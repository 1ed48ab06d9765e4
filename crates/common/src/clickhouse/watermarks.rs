//! How far the processors have written a topic, from their watermarks (`partition_watermarks`): the query
//! service's `X-Experience-API-Consistent-Through` and the gateway's lag bound read it the same way.

use super::{Db, DbError};

#[derive(clickhouse::Row, serde::Deserialize)]
pub struct PartitionMark {
    pub through_ms: i64,
    pub partition_count: i32,
}

/// The newest watermark of each partition of `topic`.
pub async fn marks(db: &Db, topic: &str) -> Result<Vec<PartitionMark>, DbError> {
    db.query(
        "SELECT argMax(through_ms, observed_ms) AS through_ms, argMax(partition_count, observed_ms) AS partition_count \
         FROM partition_watermarks WHERE topic = ? GROUP BY partition",
    )
    .bind(topic)
    .fetch_all()
    .await
}

/// The instant (epoch ms, never after `now_ms`) through which every partition is written; `None` while some
/// partition has no watermark yet (it would otherwise let the value run ahead of it).
pub fn through_ms(marks: &[PartitionMark], now_ms: i64) -> Option<i64> {
    let expected = marks.iter().map(|m| m.partition_count).max().unwrap_or(0);
    if marks.is_empty() || (marks.len() as i32) < expected {
        return None;
    }
    Some(marks.iter().map(|m| m.through_ms).min().unwrap_or(0).clamp(0, now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(through_ms: i64, partition_count: i32) -> PartitionMark {
        PartitionMark { through_ms, partition_count }
    }

    #[test]
    fn minimum_over_partitions() {
        assert_eq!(through_ms(&[mark(100, 2), mark(50, 2)], 1000), Some(50));
    }

    #[test]
    fn missing_partitions_hold_it_back() {
        assert_eq!(through_ms(&[mark(100, 3), mark(50, 3)], 1000), None);
        assert_eq!(through_ms(&[], 1000), None);
    }

    #[test]
    fn never_ahead_of_now() {
        assert_eq!(through_ms(&[mark(5000, 1)], 1000), Some(1000));
    }
}

-- Statements, one row per Kafka record written. Redelivery and rebalances can write a record twice, and two
-- clients can send the same id: rows are never updated, and readers take, per (store, id), the row with the
-- highest `ver` (= u64::MAX - Kafka offset, so the first record of that id in its partition: first write wins).
-- ReplacingMergeTree collapses the copies in the background; unpartitioned so that all copies can merge.
-- `raw` is the normalised statement exactly as served; the other columns are extracted from it by the
-- processor for filtering. Timestamps are Int64 epoch milliseconds (portable to ClickHouse 18.16).
-- Small granules: a lookup by id reads and decompresses one granule of `raw` (about 1.2 KB a row), so 64 rows
-- cost ~80 KB where the default 8192 cost ~10 MB; a page of 100 ids scattered over 1M statements is fetched in
-- ~35 ms instead of ~150 ms with 512-row granules (2-core machine). The primary index then holds one key per
-- 64 rows (~50 MB of memory per 100M statements).
CREATE TABLE IF NOT EXISTS {db}.statements
(
    store String,
    id UUID,
    ver UInt64,
    stored_ms Int64,
    timestamp_ms Int64,
    verb_id String,
    actor_key String,
    object_type String,
    object_id String,
    registration UUID,
    voided_id UUID,
    version String,
    raw String,
    kafka_partition Int32,
    kafka_offset Int64,
    written_ms Int64
)
ENGINE = ReplacingMergeTree(ver)
ORDER BY (store, id)
SETTINGS index_granularity = 64;

-- Progress of the processors, one row per statements-topic partition and observation: how far that
-- partition is written and until when it is known complete. The query service takes the minimum over all
-- partitions for X-Experience-API-Consistent-Through.
CREATE TABLE IF NOT EXISTS {db}.partition_watermarks
(
    topic String,
    partition Int32,
    partition_count Int32,
    next_offset Int64,
    through_ms Int64,
    observed_ms Int64
)
ENGINE = ReplacingMergeTree(observed_ms)
ORDER BY (topic, partition);

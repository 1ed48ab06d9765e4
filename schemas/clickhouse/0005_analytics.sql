-- Analytics, maintained as statements land. One narrow row per decision of the analytics stage (the
-- processor's `facts` pipeline, which sees every id in one Kafka partition, in order):
--   sign = +1: the statement (id, ver) counts;  sign = -1: it no longer does (voided, or lost first write wins);
--   sign =  0: a marker: the id is voided (written when the voiding arrived before its target).
-- `analytics_facts` is that ledger, ordered by id: the stage reads it back for a batch's ids before deciding,
-- so a redelivered batch decides nothing twice. Two materialized views split it for reading:
-- `analytics_events` (the counted rows, ordered by time) and `analytics_retractions` (the few taken back).
-- A read counts the events whose (id, ver) is not retracted: exact, with no FINAL and no JSON parsing.
CREATE TABLE IF NOT EXISTS {db}.analytics_facts
(
    store String,
    id UUID,
    ver UInt64,
    sign Int8,
    timestamp_ms Int64,
    stored_ms Int64,
    verb String,
    activity String,
    activity_type String,
    actor String,
    registration String,
    platform String,
    parents Array(String),
    groupings Array(String),
    score Float64,
    has_score UInt8,
    success Int8,
    completion Int8,
    duration_ms Int64,
    has_duration UInt8
)
ENGINE = MergeTree
ORDER BY (store, id);

CREATE TABLE IF NOT EXISTS {db}.analytics_events
(
    store String,
    id UUID,
    ver UInt64,
    timestamp_ms Int64,
    stored_ms Int64,
    verb String,
    activity String,
    activity_type String,
    actor String,
    registration String,
    platform String,
    parents Array(String),
    groupings Array(String),
    score Float64,
    has_score UInt8,
    success Int8,
    completion Int8,
    duration_ms Int64,
    has_duration UInt8
)
ENGINE = MergeTree
PARTITION BY intDiv(timestamp_ms, 31536000000)
ORDER BY (store, timestamp_ms, id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.analytics_events_mv TO {db}.analytics_events AS
SELECT store, id, ver, timestamp_ms, stored_ms, verb, activity, activity_type, actor, registration, platform,
       parents, groupings, score, has_score, success, completion, duration_ms, has_duration
FROM {db}.analytics_facts
WHERE sign = 1;

CREATE TABLE IF NOT EXISTS {db}.analytics_retractions
(
    store String,
    id UUID,
    ver UInt64
)
ENGINE = ReplacingMergeTree
ORDER BY (store, id, ver);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.analytics_retractions_mv TO {db}.analytics_retractions AS
SELECT store, id, ver
FROM {db}.analytics_facts
WHERE sign = -1;

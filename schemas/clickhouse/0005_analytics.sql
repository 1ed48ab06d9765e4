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

-- Hourly sums for the dimensions dashboards cut by (time, content type, course, programme, activity, verb,
-- platform), maintained from the ledger with each row's sign, so retractions subtract exactly. Requests
-- whose dimensions, filters and measures it covers (and whose time zone is a whole number of hours from UTC
-- at every instant) read it instead of `analytics_events`; rows sum at read time, merged or not.
CREATE TABLE IF NOT EXISTS {db}.analytics_hourly
(
    store String,
    hour_ms Int64,
    activity_type String,
    verb String,
    activity String,
    parents Array(String),
    groupings Array(String),
    platform String,
    statements Int64,
    score_n Int64,
    score_sum Float64,
    success_n Int64,
    success_true Int64,
    completion_n Int64,
    completion_true Int64,
    duration_n Int64,
    duration_sum Int64
)
ENGINE = SummingMergeTree
PARTITION BY intDiv(hour_ms, 31536000000)
ORDER BY (store, hour_ms, activity_type, verb, activity, parents, groupings, platform);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.analytics_hourly_mv TO {db}.analytics_hourly AS
SELECT store, intDiv(timestamp_ms, 3600000) * 3600000 AS hour_ms, activity_type, verb, activity, parents, groupings,
       platform,
       toInt64(sign) AS statements,
       toInt64(sign * has_score) AS score_n,
       sign * score * has_score AS score_sum,
       toInt64(sign * (success >= 0)) AS success_n,
       toInt64(sign * (success = 1)) AS success_true,
       toInt64(sign * (completion >= 0)) AS completion_n,
       toInt64(sign * (completion = 1)) AS completion_true,
       toInt64(sign * has_duration) AS duration_n,
       sign * duration_ms * has_duration AS duration_sum
FROM {db}.analytics_facts
WHERE sign != 0;

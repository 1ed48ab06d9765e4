-- Statements per learner, for the cuts that count people (most active learners, distinct learners per content
-- type or course): counts per (course, period, content type, actor), signed like every rollup so retractions
-- subtract exactly. Each statement is counted once under course '' (all statements; no activity id is empty)
-- and once under each of its parents, so one table serves requests with and without a course. Two grains:
-- 16-day spans (epoch-aligned, no calendar) hold the bulk of a range in a few hundred thousand rows a year;
-- hours hold its ragged ends. A learner counts in a group when their summed statements there are positive.
-- Filled from the ledger once, only while still empty, then by the views.
CREATE TABLE IF NOT EXISTS {db}.analytics_people_spans
(
    store String,
    parent String,
    span_ms Int64,
    activity_type String,
    actor String,
    statements Int64
)
ENGINE = SummingMergeTree
PARTITION BY intDiv(span_ms, 31536000000)
ORDER BY (store, parent, span_ms, activity_type, actor);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.analytics_people_spans_mv TO {db}.analytics_people_spans AS
SELECT store, arrayJoin(arrayPushFront(parents, '')) AS parent, intDiv(timestamp_ms, 1382400000) * 1382400000 AS span_ms,
       activity_type, actor, sum(toInt64(sign)) AS statements
FROM {db}.analytics_facts
WHERE sign != 0
GROUP BY store, parent, span_ms, activity_type, actor;

CREATE TABLE IF NOT EXISTS {db}.analytics_people_hourly
(
    store String,
    parent String,
    hour_ms Int64,
    activity_type String,
    actor String,
    statements Int64
)
ENGINE = SummingMergeTree
PARTITION BY intDiv(hour_ms, 31536000000)
ORDER BY (store, parent, hour_ms, activity_type, actor);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.analytics_people_hourly_mv TO {db}.analytics_people_hourly AS
SELECT store, arrayJoin(arrayPushFront(parents, '')) AS parent, intDiv(timestamp_ms, 3600000) * 3600000 AS hour_ms,
       activity_type, actor, sum(toInt64(sign)) AS statements
FROM {db}.analytics_facts
WHERE sign != 0
GROUP BY store, parent, hour_ms, activity_type, actor;

INSERT INTO {db}.analytics_people_spans
SELECT store, arrayJoin(arrayPushFront(parents, '')) AS parent, intDiv(timestamp_ms, 1382400000) * 1382400000 AS span_ms,
       activity_type, actor, sum(toInt64(sign))
FROM {db}.analytics_facts
WHERE sign != 0 AND (SELECT count() FROM {db}.analytics_people_spans) = 0
GROUP BY store, parent, span_ms, activity_type, actor;

INSERT INTO {db}.analytics_people_hourly
SELECT store, arrayJoin(arrayPushFront(parents, '')) AS parent, intDiv(timestamp_ms, 3600000) * 3600000 AS hour_ms,
       activity_type, actor, sum(toInt64(sign))
FROM {db}.analytics_facts
WHERE sign != 0 AND (SELECT count() FROM {db}.analytics_people_hourly) = 0
GROUP BY store, parent, hour_ms, activity_type, actor;

-- Statements per learner, for the cuts that count people (most active learners, distinct learners per content
-- type or course): counts per (course, period, content type, actor), signed like every rollup so retractions
-- subtract exactly. Each statement is counted once under course '' (all statements; no activity id is empty)
-- and once under each of its parents, so one table serves requests with and without a course. Two grains:
-- 16-day spans (epoch-aligned, no calendar) hold the bulk of a range in a few hundred thousand rows a year;
-- hours hold its ragged ends. A learner counts in a group when their summed statements there are positive.
-- Rows are keyed and grouped by 64-bit hashes of the content type and the actor (grouping integers is several
-- times faster than strings; a collision between two actors' hashes is about 1 in 10^7 at a million
-- learners); the strings ride along for the answer, as `type_name` and `actor_name` (an alias equal to a
-- source column would shadow it inside the hashes, and 18.16 cannot feed a view through a subquery).
-- Filled from the ledger once, only while still empty, then by the views.
CREATE TABLE IF NOT EXISTS {db}.analytics_people_spans
(
    store String,
    parent String,
    span_ms Int64,
    type_hash UInt64,
    actor_hash UInt64,
    type_name String,
    actor_name String,
    statements Int64
)
ENGINE = SummingMergeTree
PARTITION BY intDiv(span_ms, 31536000000)
ORDER BY (store, parent, span_ms, type_hash, actor_hash);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.analytics_people_spans_mv TO {db}.analytics_people_spans AS
SELECT store, arrayJoin(arrayPushFront(parents, '')) AS parent, intDiv(timestamp_ms, 1382400000) * 1382400000 AS span_ms,
       cityHash64(activity_type) AS type_hash, cityHash64(actor) AS actor_hash, any(activity_type) AS type_name,
       any(actor) AS actor_name, sum(toInt64(sign)) AS statements
FROM {db}.analytics_facts
WHERE sign != 0
GROUP BY store, parent, span_ms, type_hash, actor_hash;

CREATE TABLE IF NOT EXISTS {db}.analytics_people_hourly
(
    store String,
    parent String,
    hour_ms Int64,
    type_hash UInt64,
    actor_hash UInt64,
    type_name String,
    actor_name String,
    statements Int64
)
ENGINE = SummingMergeTree
PARTITION BY intDiv(hour_ms, 31536000000)
ORDER BY (store, parent, hour_ms, type_hash, actor_hash);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.analytics_people_hourly_mv TO {db}.analytics_people_hourly AS
SELECT store, arrayJoin(arrayPushFront(parents, '')) AS parent, intDiv(timestamp_ms, 3600000) * 3600000 AS hour_ms,
       cityHash64(activity_type) AS type_hash, cityHash64(actor) AS actor_hash, any(activity_type) AS type_name,
       any(actor) AS actor_name, sum(toInt64(sign)) AS statements
FROM {db}.analytics_facts
WHERE sign != 0
GROUP BY store, parent, hour_ms, type_hash, actor_hash;

INSERT INTO {db}.analytics_people_spans
SELECT store, arrayJoin(arrayPushFront(parents, '')) AS parent, intDiv(timestamp_ms, 1382400000) * 1382400000 AS span_ms,
       cityHash64(activity_type) AS type_hash, cityHash64(actor) AS actor_hash, any(activity_type) AS type_name,
       any(actor) AS actor_name, sum(toInt64(sign)) AS statements
FROM {db}.analytics_facts
WHERE sign != 0 AND (SELECT count() FROM {db}.analytics_people_spans) = 0
GROUP BY store, parent, span_ms, type_hash, actor_hash;

INSERT INTO {db}.analytics_people_hourly
SELECT store, arrayJoin(arrayPushFront(parents, '')) AS parent, intDiv(timestamp_ms, 3600000) * 3600000 AS hour_ms,
       cityHash64(activity_type) AS type_hash, cityHash64(actor) AS actor_hash, any(activity_type) AS type_name,
       any(actor) AS actor_name, sum(toInt64(sign)) AS statements
FROM {db}.analytics_facts
WHERE sign != 0 AND (SELECT count() FROM {db}.analytics_people_hourly) = 0
GROUP BY store, parent, hour_ms, type_hash, actor_hash;

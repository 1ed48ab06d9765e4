-- Coarser hourly sums for the cuts dashboards ask most: by content type and verb (`analytics_hourly_types`), and
-- by course (`analytics_hourly_courses`, one row per parent of a statement, so it serves only requests by or
-- filtered on `parent`). A few hundred thousand rows a year instead of millions; the planner reads the smallest
-- table that covers a request. Both are filled from the ledger once here, only while still empty (so a repeated
-- run adds nothing; migrations run before the services start, so no fact lands twice), then by their views.
CREATE TABLE IF NOT EXISTS {db}.analytics_hourly_types
(
    store String,
    hour_ms Int64,
    activity_type String,
    verb String,
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
ORDER BY (store, hour_ms, activity_type, verb);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.analytics_hourly_types_mv TO {db}.analytics_hourly_types AS
SELECT store, intDiv(timestamp_ms, 3600000) * 3600000 AS hour_ms, activity_type, verb,
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

CREATE TABLE IF NOT EXISTS {db}.analytics_hourly_courses
(
    store String,
    hour_ms Int64,
    parent String,
    activity_type String,
    verb String,
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
ORDER BY (store, hour_ms, parent, activity_type, verb);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.analytics_hourly_courses_mv TO {db}.analytics_hourly_courses AS
SELECT store, intDiv(timestamp_ms, 3600000) * 3600000 AS hour_ms, arrayJoin(parents) AS parent, activity_type, verb,
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

INSERT INTO {db}.analytics_hourly_types
SELECT store, intDiv(timestamp_ms, 3600000) * 3600000 AS hour_ms, activity_type, verb,
       sum(toInt64(sign)), sum(toInt64(sign * has_score)), sum(sign * score * has_score),
       sum(toInt64(sign * (success >= 0))), sum(toInt64(sign * (success = 1))),
       sum(toInt64(sign * (completion >= 0))), sum(toInt64(sign * (completion = 1))),
       sum(toInt64(sign * has_duration)), sum(sign * duration_ms * has_duration)
FROM {db}.analytics_facts
WHERE sign != 0 AND (SELECT count() FROM {db}.analytics_hourly_types) = 0
GROUP BY store, hour_ms, activity_type, verb;

INSERT INTO {db}.analytics_hourly_courses
SELECT store, intDiv(timestamp_ms, 3600000) * 3600000 AS hour_ms, arrayJoin(parents) AS parent, activity_type, verb,
       sum(toInt64(sign)), sum(toInt64(sign * has_score)), sum(sign * score * has_score),
       sum(toInt64(sign * (success >= 0))), sum(toInt64(sign * (success = 1))),
       sum(toInt64(sign * (completion >= 0))), sum(toInt64(sign * (completion = 1))),
       sum(toInt64(sign * has_duration)), sum(sign * duration_ms * has_duration)
FROM {db}.analytics_facts
WHERE sign != 0 AND (SELECT count() FROM {db}.analytics_hourly_courses) = 0
GROUP BY store, hour_ms, parent, activity_type, verb;

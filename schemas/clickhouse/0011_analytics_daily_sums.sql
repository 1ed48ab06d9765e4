-- Daily sums per activity and per course, above the hourly ones: a request over a long range without time
-- buckets (rates per activity or per course over six months) reads its whole UTC days here and only its
-- ragged ends from the hourly tables, a twentieth of the rows. Filled from the ledger once, only while
-- still empty, then by the views.
CREATE TABLE IF NOT EXISTS {db}.analytics_daily_activities
(
    store String,
    day_ms Int64,
    activity_type String,
    activity String,
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
PARTITION BY intDiv(day_ms, 31536000000)
ORDER BY (store, day_ms, activity_type, activity);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.analytics_daily_activities_mv TO {db}.analytics_daily_activities AS
SELECT store, intDiv(timestamp_ms, 86400000) * 86400000 AS day_ms, activity_type, activity,
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

INSERT INTO {db}.analytics_daily_activities
SELECT store, intDiv(timestamp_ms, 86400000) * 86400000 AS day_ms, activity_type, activity,
       sum(toInt64(sign)), sum(toInt64(sign * has_score)), sum(sign * score * has_score),
       sum(toInt64(sign * (success >= 0))), sum(toInt64(sign * (success = 1))),
       sum(toInt64(sign * (completion >= 0))), sum(toInt64(sign * (completion = 1))),
       sum(toInt64(sign * has_duration)), sum(sign * duration_ms * has_duration)
FROM {db}.analytics_facts
WHERE sign != 0 AND (SELECT count() FROM {db}.analytics_daily_activities) = 0
GROUP BY store, day_ms, activity_type, activity;

CREATE TABLE IF NOT EXISTS {db}.analytics_daily_courses
(
    store String,
    day_ms Int64,
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
PARTITION BY intDiv(day_ms, 31536000000)
ORDER BY (store, day_ms, parent, activity_type, verb);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.analytics_daily_courses_mv TO {db}.analytics_daily_courses AS
SELECT store, intDiv(timestamp_ms, 86400000) * 86400000 AS day_ms, arrayJoin(parents) AS parent, activity_type, verb,
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

INSERT INTO {db}.analytics_daily_courses
SELECT store, intDiv(timestamp_ms, 86400000) * 86400000 AS day_ms, arrayJoin(parents) AS parent, activity_type, verb,
       sum(toInt64(sign)), sum(toInt64(sign * has_score)), sum(sign * score * has_score),
       sum(toInt64(sign * (success >= 0))), sum(toInt64(sign * (success = 1))),
       sum(toInt64(sign * (completion >= 0))), sum(toInt64(sign * (completion = 1))),
       sum(toInt64(sign * has_duration)), sum(sign * duration_ms * has_duration)
FROM {db}.analytics_facts
WHERE sign != 0 AND (SELECT count() FROM {db}.analytics_daily_courses) = 0
GROUP BY store, day_ms, parent, activity_type, verb;

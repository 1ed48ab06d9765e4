-- Hourly counts per content type and score tenth (statements with a scaled score only): the score distribution
-- reads these unless it is cut by course, activity, verb or platform. (The tenth is not named `score`: an alias
-- of that name would shadow the column in `sign * score` below.) Filled from the ledger once, only while
-- still empty, then by the view.
CREATE TABLE IF NOT EXISTS {db}.analytics_hourly_scores
(
    store String,
    hour_ms Int64,
    activity_type String,
    tenth Float64,
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
ORDER BY (store, hour_ms, activity_type, tenth);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.analytics_hourly_scores_mv TO {db}.analytics_hourly_scores AS
SELECT store, intDiv(timestamp_ms, 3600000) * 3600000 AS hour_ms, activity_type, floor(score * 10) / 10 AS tenth,
       toInt64(sign) AS statements,
       toInt64(sign) AS score_n,
       sign * score AS score_sum,
       toInt64(sign * (success >= 0)) AS success_n,
       toInt64(sign * (success = 1)) AS success_true,
       toInt64(sign * (completion >= 0)) AS completion_n,
       toInt64(sign * (completion = 1)) AS completion_true,
       toInt64(sign * has_duration) AS duration_n,
       sign * duration_ms * has_duration AS duration_sum
FROM {db}.analytics_facts
WHERE sign != 0 AND has_score = 1;

INSERT INTO {db}.analytics_hourly_scores
SELECT store, intDiv(timestamp_ms, 3600000) * 3600000 AS hour_ms, activity_type, floor(score * 10) / 10 AS tenth,
       sum(toInt64(sign)), sum(toInt64(sign)), sum(sign * score),
       sum(toInt64(sign * (success >= 0))), sum(toInt64(sign * (success = 1))),
       sum(toInt64(sign * (completion >= 0))), sum(toInt64(sign * (completion = 1))),
       sum(toInt64(sign * has_duration)), sum(sign * duration_ms * has_duration)
FROM {db}.analytics_facts
WHERE sign != 0 AND has_score = 1 AND (SELECT count() FROM {db}.analytics_hourly_scores) = 0
GROUP BY store, hour_ms, activity_type, tenth;

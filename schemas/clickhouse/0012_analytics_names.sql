-- The names behind the per-learner counts' hashes (kind 1: content type, kind 2: actor), looked up by key for
-- the few groups an answer shows, so that grouping never reads the strings. Filled from the ledger once,
-- only while still empty, then by the views.
CREATE TABLE IF NOT EXISTS {db}.analytics_names
(
    store String,
    kind UInt8,
    hash UInt64,
    name String
)
ENGINE = ReplacingMergeTree
ORDER BY (store, kind, hash);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.analytics_names_types_mv TO {db}.analytics_names AS
SELECT store, toUInt8(1) AS kind, cityHash64(activity_type) AS hash, any(activity_type) AS name
FROM {db}.analytics_facts
WHERE sign != 0
GROUP BY store, hash;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.analytics_names_actors_mv TO {db}.analytics_names AS
SELECT store, toUInt8(2) AS kind, cityHash64(actor) AS hash, any(actor) AS name
FROM {db}.analytics_facts
WHERE sign != 0
GROUP BY store, hash;

INSERT INTO {db}.analytics_names
SELECT store, toUInt8(1) AS kind, cityHash64(activity_type) AS hash, any(activity_type)
FROM {db}.analytics_facts
WHERE sign != 0 AND (SELECT count() FROM {db}.analytics_names WHERE kind = 1) = 0
GROUP BY store, hash;

INSERT INTO {db}.analytics_names
SELECT store, toUInt8(2) AS kind, cityHash64(actor) AS hash, any(actor)
FROM {db}.analytics_facts
WHERE sign != 0 AND (SELECT count() FROM {db}.analytics_names WHERE kind = 2) = 0
GROUP BY store, hash;

-- Stores (tenants) and the credentials the admin API creates. Each change is a new row with a higher
-- version (ReplacingMergeTree keeps the newest): a deleted store or a revoked credential is a row saying so,
-- read with FINAL (both tables stay small). Secrets are stored only as salt and SHA-256.
CREATE TABLE IF NOT EXISTS {db}.stores
(
    name String,
    created_ms Int64,
    deleted UInt8,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY name;

CREATE TABLE IF NOT EXISTS {db}.credentials
(
    key String,
    store String,
    scopes Array(String),
    label String,
    created_ms Int64,
    secret_salt String,
    secret_sha256 String,
    revoked UInt8,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY key;

-- xAPI documents (State, Activity Profile, Agent Profile). Written only by the processor's documents consumer,
-- which applies the write commands of the `documents` topic one partition at a time, in offset order.
-- Every write adds a version row; a DELETE adds a tombstone (deleted = 1). `ver` is the Kafka offset of the
-- command that wrote the version: all commands of one document share a partition (the record key), so
-- offsets order its versions, and a command re-applied after a crash writes the very same row again.
-- Readers take, per document, the row with the highest `ver`; a tombstone there means "not found".
-- `agent_key` is the canonical IFI key (crates/xapi/src/agent.rs); empty strings stand for "not applicable"
-- (no agent for Activity Profiles, no activity for Agent Profiles, no registration). `content` holds the
-- bytes exactly as sent; `etag` is their quoted SHA-1 hex; `updated_ms` the gateway time of the write.
CREATE TABLE IF NOT EXISTS {db}.documents
(
    store String,
    kind String,
    activity_id String,
    agent_key String,
    registration String,
    doc_id String,
    ver UInt64,
    deleted UInt8,
    content_type String,
    content String,
    etag String,
    updated_ms Int64,
    command_id UUID
)
ENGINE = ReplacingMergeTree(ver)
ORDER BY (store, kind, activity_id, agent_key, registration, doc_id)
SETTINGS index_granularity = 1024;

-- The outcome of every document write command, by command id: the HTTP status the gateway answers with
-- (204, 400, 409, 412) and the message of a refusal. Written after the command's document rows, so an
-- outcome that can be read means its document change can be read too. Re-applying a command writes the
-- same outcome again; readers take any one row per command.
CREATE TABLE IF NOT EXISTS {db}.document_outcomes
(
    store String,
    command_id UUID,
    status UInt16,
    message String,
    written_ms Int64
)
ENGINE = ReplacingMergeTree(written_ms)
ORDER BY command_id;

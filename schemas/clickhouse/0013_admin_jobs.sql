-- Long-running admin jobs (the erasure of a person), one row per progress report: the newest version of a job
-- is its state, so any replica answers GET /admin/jobs/{id} whichever one runs the job. `subject` is the
-- SHA-256 of the erased agent's identifier key, not the identifier: the job record must not keep the person.
CREATE TABLE IF NOT EXISTS {db}.admin_jobs
(
    id UUID,
    kind String,
    store String,
    subject String,
    state String,
    step String,
    statements UInt64,
    documents UInt64,
    attachments UInt64,
    error String,
    created_ms Int64,
    updated_ms Int64,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;

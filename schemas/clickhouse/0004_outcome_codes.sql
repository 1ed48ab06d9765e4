-- Document write outcomes are stored as what happened (`applied`, or the refusal: `bad_request`, `conflict`,
-- `precondition_failed`), not as an HTTP status: each service maps the code to its answer in one place. The
-- `status` column of earlier versions stays (0 for new rows) so that old readers keep working during an upgrade.
ALTER TABLE {db}.document_outcomes ADD COLUMN code String DEFAULT '';

-- Flow control: a job's limit_key, the queue settings that limit starts (a rate per
-- queue and per key, as a count in a sliding window of seconds) and running jobs per
-- key, and the recorded starts that the rates are counted from.

ALTER TABLE jobs ADD COLUMN limit_key TEXT;
ALTER TABLE queues ADD COLUMN rate_count INTEGER;
ALTER TABLE queues ADD COLUMN rate_period REAL;
ALTER TABLE queues ADD COLUMN key_rate_count INTEGER;
ALTER TABLE queues ADD COLUMN key_rate_period REAL;
ALTER TABLE queues ADD COLUMN per_key_limit INTEGER;

-- The claims of a queue's jobs while it has a rate: kept for the longest window.
CREATE TABLE starts (
    queue TEXT NOT NULL,
    limit_key TEXT,
    at REAL NOT NULL
);

CREATE INDEX starts_queue ON starts (queue, at);
CREATE INDEX starts_key ON starts (queue, limit_key, at) WHERE limit_key IS NOT NULL;
-- A key's first due job (per-key order). A key's running jobs are counted through
-- jobs_leases: running jobs are few, and an index of their own would cost every
-- claim and every end of a keyed job one more write.
CREATE INDEX jobs_key_queued ON jobs (queue, limit_key, priority DESC, run_at, id)
    WHERE status = 'queued' AND limit_key IS NOT NULL;

-- Flow control: a job's limit_key, the queue settings that limit starts (a rate per
-- queue and per key, as a count in a sliding window of seconds) and running jobs per
-- key, and the recorded starts that the rates are counted from.

ALTER TABLE jobs ADD COLUMN limit_key TEXT;
ALTER TABLE queues ADD COLUMN rate_count INTEGER;
ALTER TABLE queues ADD COLUMN rate_period REAL;
ALTER TABLE queues ADD COLUMN key_rate_count INTEGER;
ALTER TABLE queues ADD COLUMN key_rate_period REAL;
ALTER TABLE queues ADD COLUMN per_key_limit INTEGER;

-- The starts of a queue while it has a rate, kept for its window; rate_used counts
-- them, so that a claim reads one number rather than counting its window. The starts of
-- keyed jobs while the queue has a per-key rate, kept for that window.
ALTER TABLE queues ADD COLUMN rate_used INTEGER NOT NULL DEFAULT 0;
CREATE TABLE starts (
    queue TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX starts_queue ON starts (queue, at);
CREATE TABLE key_starts (
    queue TEXT NOT NULL,
    limit_key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX key_starts_key ON key_starts (queue, limit_key, at);
CREATE INDEX key_starts_queue ON key_starts (queue, at);
-- A key's first due job (per-key order). A key's running jobs are counted through
-- jobs_leases: running jobs are few, and an index of their own would cost every
-- claim and every end of a keyed job one more write.
CREATE INDEX jobs_key_queued ON jobs (queue, limit_key, priority DESC, run_at, id)
    WHERE status = 'queued' AND limit_key IS NOT NULL;

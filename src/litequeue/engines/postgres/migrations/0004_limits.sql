-- Flow control (as on SQLite): a job's limit_key, the queue settings that limit starts
-- (a count in a sliding window of seconds, per queue and per key) and running jobs per
-- key, and the recorded starts the rates count.

ALTER TABLE litequeue_jobs ADD COLUMN limit_key text;
ALTER TABLE litequeue_queues ADD COLUMN rate_count bigint;
ALTER TABLE litequeue_queues ADD COLUMN rate_period double precision;
ALTER TABLE litequeue_queues ADD COLUMN key_rate_count bigint;
ALTER TABLE litequeue_queues ADD COLUMN key_rate_period double precision;
ALTER TABLE litequeue_queues ADD COLUMN per_key_limit bigint;

-- The starts of a queue while it has a rate, kept for its window (rate_used counts
-- them); the starts of keyed jobs while it has a per-key rate, kept for that window.
ALTER TABLE litequeue_queues ADD COLUMN rate_used bigint NOT NULL DEFAULT 0;
CREATE TABLE litequeue_starts (
    queue text NOT NULL,
    at double precision NOT NULL
);
CREATE INDEX litequeue_starts_queue ON litequeue_starts (queue, at);
CREATE TABLE litequeue_key_starts (
    queue text NOT NULL,
    limit_key text NOT NULL,
    at double precision NOT NULL
);
CREATE INDEX litequeue_key_starts_key ON litequeue_key_starts (queue, limit_key, at);
CREATE INDEX litequeue_key_starts_queue ON litequeue_key_starts (queue, at);
CREATE INDEX litequeue_jobs_key_queued
    ON litequeue_jobs (queue, limit_key, priority DESC, run_at, id)
    WHERE status = 'queued' AND limit_key IS NOT NULL;

-- Flow control (as on SQLite): a job's limit_key, the queue settings that limit starts
-- (a count in a sliding window of seconds, per queue and per key) and running jobs per
-- key, and the recorded starts the rates count.

ALTER TABLE litequeue_jobs ADD COLUMN limit_key text;
ALTER TABLE litequeue_queues ADD COLUMN rate_count bigint;
ALTER TABLE litequeue_queues ADD COLUMN rate_period double precision;
ALTER TABLE litequeue_queues ADD COLUMN key_rate_count bigint;
ALTER TABLE litequeue_queues ADD COLUMN key_rate_period double precision;
ALTER TABLE litequeue_queues ADD COLUMN per_key_limit bigint;

CREATE TABLE litequeue_starts (
    queue text NOT NULL,
    limit_key text,
    at double precision NOT NULL
);

CREATE INDEX litequeue_starts_queue ON litequeue_starts (queue, at);
CREATE INDEX litequeue_starts_key ON litequeue_starts (queue, limit_key, at)
    WHERE limit_key IS NOT NULL;
CREATE INDEX litequeue_jobs_key_queued
    ON litequeue_jobs (queue, limit_key, priority DESC, run_at, id)
    WHERE status = 'queued' AND limit_key IS NOT NULL;

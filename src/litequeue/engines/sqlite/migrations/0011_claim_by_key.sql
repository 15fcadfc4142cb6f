-- The queued jobs without a key, by queue in claim order, beside jobs_key_queued
-- (those with one, by key): a claim of a queue with per-key limits that finds its
-- next jobs behind a key at its limit walks the keys, one step each, and finds the
-- queue's unkeyed jobs here, without reading that key's backlog (jobs_claimable holds
-- every queued job in one order, where only reading them tells whether an unkeyed one
-- is among them). An enqueue of a job without a key writes one B-tree more for it.

CREATE INDEX jobs_unkeyed_queued ON jobs (queue, priority DESC, run_at, id)
    WHERE status = 'queued' AND limit_key IS NULL;

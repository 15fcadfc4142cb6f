-- The claim-order index of queued jobs in two: jobs_claimable keeps those without a
-- key, jobs_keyed_claimable takes those with one (each queued job is in one of them,
-- as it was in the one: an enqueue writes as many B-trees as before). A claim of a
-- queue with per-key limits that finds its next jobs behind a key at its limit walks
-- the keys (jobs_key_queued, one step a key) and finds the queue's unkeyed jobs in
-- jobs_claimable, without reading that key's backlog: in one index of every queued
-- job, only reading them told whether an unkeyed one was among them. A plain claim
-- reads the two in claim order, merged.

DROP INDEX jobs_claimable;
CREATE INDEX jobs_claimable ON jobs (queue, priority DESC, run_at, id)
    WHERE status = 'queued' AND limit_key IS NULL;
CREATE INDEX jobs_keyed_claimable ON jobs (queue, priority DESC, run_at, id)
    WHERE status = 'queued' AND limit_key IS NOT NULL;

-- The dashboard's listing by status without an index entry that moves at every claim
-- and finish: jobs_status (status, id) took a delete and an insert at each, about
-- three of the ten pages a one-job commit wrote. Queued jobs keep an index by id
-- (an entry made at enqueue, gone at the claim); failed and cancelled ones, which few
-- transitions make, one of their own. Running jobs are read through jobs_leases, and
-- succeeded ones along the ids, checked row by row (benchmarks/README.md, "The jobs
-- table's indexes").

DROP INDEX jobs_status;
CREATE INDEX jobs_queued ON jobs (id) WHERE status = 'queued';
CREATE INDEX jobs_failed_or_cancelled ON jobs (status, id)
    WHERE status = 'failed' OR status = 'cancelled';

-- No job transition is a HOT update (status is in partial indexes' predicates), so
-- every claim and every finish put a new entry in each index without a predicate:
-- (status, id), (priority, id) and (run_at, id) cost three of them each time. The
-- dashboard's listing keeps its seeks through partial indexes whose predicate holds
-- only where it is needed: queued jobs by id, priority and due time (an entry made
-- at enqueue; none at claim or finish), failed and cancelled jobs by status and id
-- (made by the rare transitions to them). Running jobs are read through
-- litequeue_jobs_leases, succeeded ones along the ids (benchmarks/README.md, "The
-- jobs table's indexes").

DROP INDEX litequeue_jobs_status;
DROP INDEX litequeue_jobs_by_priority;
DROP INDEX litequeue_jobs_by_run_at;
CREATE INDEX litequeue_jobs_queued ON litequeue_jobs (id) WHERE status = 'queued';
CREATE INDEX litequeue_jobs_queued_by_priority ON litequeue_jobs (priority, id)
    WHERE status = 'queued';
CREATE INDEX litequeue_jobs_queued_by_run_at ON litequeue_jobs (run_at, id)
    WHERE status = 'queued';
CREATE INDEX litequeue_jobs_failed_or_cancelled ON litequeue_jobs (status, id)
    WHERE status IN ('failed', 'cancelled');

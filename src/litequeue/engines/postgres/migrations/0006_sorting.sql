-- The dashboard's job table sorted by priority or by when a job is due: each page is a
-- seek in one of these past the previous page's last row (the last change and the
-- attempts change at every claim and finish: their sorts read the jobs instead).

CREATE INDEX litequeue_jobs_by_priority ON litequeue_jobs (priority, id);
CREATE INDEX litequeue_jobs_by_run_at ON litequeue_jobs (run_at, id);

-- The dashboard's job table sorted by priority or by when a job is due: each page is a
-- seek in one of these past the previous page's last row. Neither column changes when
-- a job is claimed or finished, so these cost an enqueue only (the last change and the
-- attempts change at every claim and finish: their sorts read the jobs instead).

CREATE INDEX jobs_by_priority ON jobs (priority, id);
CREATE INDEX jobs_by_run_at ON jobs (run_at, id);

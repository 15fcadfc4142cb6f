-- Dependencies: a job waits for the jobs it depends on to succeed. The edges live in
-- their own table; each job row counts the dependencies it still waits for
-- (blockers: claimable only at 0) and says whether any job depends on it, so that a
-- plain success (most jobs) looks up no edges. depends_on keeps the job's own list,
-- read with its row.

ALTER TABLE jobs ADD COLUMN depends_on TEXT NOT NULL DEFAULT '[]';
ALTER TABLE jobs ADD COLUMN blockers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN has_dependants INTEGER NOT NULL DEFAULT 0;

CREATE TABLE job_dependencies (
    depends_on INTEGER NOT NULL,
    job_id INTEGER NOT NULL,
    PRIMARY KEY (depends_on, job_id)
) WITHOUT ROWID;

CREATE INDEX job_dependencies_job ON job_dependencies (job_id);

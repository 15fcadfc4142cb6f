-- Dependencies (as on SQLite): edges in their own table; each job counts the
-- dependencies it still waits for (blockers: claimable at 0) and says whether any job
-- depends on it; depends_on keeps its own list, read with its row.

ALTER TABLE litequeue_jobs ADD COLUMN depends_on text NOT NULL DEFAULT '[]';
ALTER TABLE litequeue_jobs ADD COLUMN blockers bigint NOT NULL DEFAULT 0;
ALTER TABLE litequeue_jobs ADD COLUMN has_dependants boolean NOT NULL DEFAULT false;

CREATE TABLE litequeue_job_dependencies (
    depends_on bigint NOT NULL,
    job_id bigint NOT NULL,
    PRIMARY KEY (depends_on, job_id)
);

CREATE INDEX litequeue_job_dependencies_job ON litequeue_job_dependencies (job_id);

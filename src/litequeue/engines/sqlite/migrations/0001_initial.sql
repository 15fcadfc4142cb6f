-- The first schema: jobs, their tags, the event log and queue settings.

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    queue TEXT NOT NULL,
    status TEXT NOT NULL,
    payload TEXT NOT NULL,
    result TEXT,
    error TEXT,
    priority INTEGER NOT NULL DEFAULT 0,
    run_at REAL NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    timeout REAL,
    progress REAL NOT NULL DEFAULT 0,
    progress_message TEXT,
    parent_id INTEGER,
    unique_key TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    handler_version TEXT,
    run_id INTEGER,
    worker TEXT,
    lease_until REAL,
    children INTEGER NOT NULL DEFAULT 0,
    children_finished INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL
);

CREATE INDEX jobs_claimable ON jobs (queue, priority DESC, run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_until) WHERE status = 'running';
CREATE INDEX jobs_unique_key ON jobs (unique_key) WHERE unique_key IS NOT NULL;
CREATE INDEX jobs_parent ON jobs (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE job_tags (
    tag TEXT NOT NULL,
    job_id INTEGER NOT NULL,
    PRIMARY KEY (tag, job_id)
) WITHOUT ROWID;

CREATE INDEX job_tags_job ON job_tags (job_id);

-- seq is the rowid: the store never deletes the newest event, so numbers never go back.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    at REAL NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX events_job ON events (job_id);

CREATE TABLE queues (
    name TEXT PRIMARY KEY,
    concurrency_limit INTEGER,
    paused INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Indexes for the dashboard's job table, sorted by id or by when a job last changed,
-- with or without a status filter: each page is an index seek past the previous
-- page's (value, id), never a sort of every matching row. And counts by queue and
-- status (stats) read from an index instead of every row.

CREATE INDEX jobs_status ON jobs (status, id);
CREATE INDEX jobs_status_updated ON jobs (status, updated_at, id);
CREATE INDEX jobs_updated ON jobs (updated_at, id);
CREATE INDEX jobs_queue_status ON jobs (queue, status);

-- The dashboard's job table filtered by status, newest or oldest first: each page
-- is a seek in this index past the previous page's last id.

CREATE INDEX litequeue_jobs_status ON litequeue_jobs (status, id);

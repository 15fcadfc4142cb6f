-- The dashboard's job table filtered by status, newest or oldest first: each page
-- is a seek in this index past the previous page's last id, never a sort of every
-- job of the status. (Indexes for other orders cost every write a quarter more.)

CREATE INDEX jobs_status ON jobs (status, id);

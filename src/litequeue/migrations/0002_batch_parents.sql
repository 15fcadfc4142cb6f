-- Batch parents say so: they run no handler, and a retry makes them wait for their
-- children again, where a job that took children in its handler runs again.
-- Before this, a batch parent was a job that was never claimed and has children.

ALTER TABLE jobs ADD COLUMN batch INTEGER NOT NULL DEFAULT 0;

UPDATE jobs SET batch = 1 WHERE run_id IS NULL AND children > 0;

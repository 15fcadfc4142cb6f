-- When each live worker last renewed its record: the dashboard shows its last heartbeat.

ALTER TABLE litequeue_workers ADD COLUMN seen_at double precision;
UPDATE litequeue_workers SET seen_at = started_at;

-- When each live worker last renewed its record: the dashboard shows its last heartbeat.

ALTER TABLE workers ADD COLUMN seen_at REAL;
UPDATE workers SET seen_at = started_at;

-- Live workers, so that readers can tell which queued jobs no worker handles: each
-- running worker keeps its row fresh (expires_at) and deletes it when it stops.

CREATE TABLE workers (
    name TEXT PRIMARY KEY,
    queues TEXT NOT NULL,
    kinds TEXT,
    started_at REAL NOT NULL,
    expires_at REAL NOT NULL
);

-- Periodic jobs: each schedule keeps the next slot it has not handled, which the
-- scheduler that enqueues a slot moves on in the same transaction.

CREATE TABLE schedules (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    cron TEXT NOT NULL,
    payload TEXT NOT NULL,
    timezone TEXT NOT NULL,
    queue TEXT NOT NULL,
    catch_up TEXT NOT NULL,
    paused INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    next_slot REAL NOT NULL,
    last_slot REAL
) WITHOUT ROWID;

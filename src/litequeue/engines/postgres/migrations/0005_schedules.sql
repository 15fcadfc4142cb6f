-- Periodic jobs (as on SQLite): each schedule keeps the next slot it has not handled,
-- moved on by the scheduler that enqueues a slot, in the same transaction.

CREATE TABLE litequeue_schedules (
    name text PRIMARY KEY,
    kind text NOT NULL,
    cron text NOT NULL,
    payload text NOT NULL,
    timezone text NOT NULL,
    queue text NOT NULL,
    catch_up text NOT NULL,
    paused boolean NOT NULL DEFAULT false,
    created_at double precision NOT NULL,
    next_slot double precision NOT NULL,
    last_slot double precision
);

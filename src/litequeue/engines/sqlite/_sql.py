"""Every statement the SQLite engine runs on a queue file, each named, with why.

Parameters are positional (``?``, ``?N``): sqlite3 binds a tuple faster than a
dict, and the store runs several of these per job. Texts are built once, at
import, so each is compiled once and found again in sqlite3's statement cache.
Several rows per statement cost much less than one each, so the statements that
write many rows come in a few fixed sizes (``CHUNK_SIZES``).
"""

from __future__ import annotations

from .._listing_sql import ListingSql
from ..copy import COPIED

__all__ = ["CHUNK_SIZES", "CLAIMED_COLUMNS", "JOB_COLUMNS"]

#: Row counts of the statements that write several rows at once; a statement for
#: every count would be compiled again and again.
CHUNK_SIZES = (64, 16, 4, 2, 1)

#: The columns of a ``Job``, in the order its rows are read (``_rows.job``).
JOB_COLUMNS = (
    "id", "kind", "queue", "status", "payload", "result", "error", "priority", "run_at",
    "attempt", "max_attempts", "timeout", "progress", "progress_message", "parent_id",
    "unique_key", "tags", "handler_version", "created_at", "updated_at", "started_at",
    "finished_at", "lease_until", "run_id", "depends_on", "blockers",
    "limit_key",
)  # fmt: skip
#: What a claim reads back: the columns it does not set itself (``_rows.claimed_row``).
CLAIMED_COLUMNS = (
    "id", "kind", "queue", "payload", "result", "error", "priority", "run_at", "attempt",
    "max_attempts", "timeout", "parent_id", "unique_key", "tags", "handler_version",
    "created_at", "run_id", "depends_on", "limit_key",
)  # fmt: skip
_JOBS = ", ".join(JOB_COLUMNS)
_CLAIMED = ", ".join(CLAIMED_COLUMNS)

#: A batch parent: it started (``create_batch``) without ever being claimed, and a job
#: gets a ``started_at`` nowhere else than from a claim, which also sets ``run_id``.
_BATCH_PARENT = "(run_id IS NULL AND started_at IS NOT NULL)"
#: A job waiting for its children: running, with no attempt of its own out.
_WAITING = "(status = 'running' AND lease_until IS NULL)"


def _share_finished(done: str, children: str) -> tuple[str, str]:
    """A parent's progress while it waits: the share of its children finished, as a
    percentage and as a message such as "2/5 done"."""
    return (
        f"100.0 * ({done}) / max({children}, 1)",
        f"({done}) || '/' || ({children}) || ' done'",
    )


_FINISHED_SHARE, _FINISHED_MESSAGE = _share_finished("children_finished", "children")
_ADDED_SHARE, _ADDED_MESSAGE = _share_finished("children_finished", "children + 1")
_ENDED_SHARE, _ENDED_MESSAGE = _share_finished("children_finished + 1", "children")
_LEFT_SHARE, _LEFT_MESSAGE = _share_finished("jobs.children - k.left", "jobs.children")


def _values(size: int) -> str:
    return ", ".join(["(?, ?, ?, ?)"] * size)


# -- connection, schema and transactions ------------------------------------------------

#: A write transaction that takes the write lock at once: a transaction that reads
#: first and upgrades later could fail with "busy" half-way, after its reads.
BEGIN_IMMEDIATE = "BEGIN IMMEDIATE"
#: Ends a write transaction...
COMMIT = "COMMIT"
#: ...or undoes it.
ROLLBACK = "ROLLBACK"
#: Readers and one writer at once, and a commit that appends rather than rewrites.
WAL_MODE = "PRAGMA journal_mode = WAL"
#: By ``durability``: a commit fsynced before it returns ("FULL"), or at checkpoints.
SYNCHRONOUS = {level: f"PRAGMA synchronous = {level}" for level in ("FULL", "NORMAL")}
#: Copy the whole write-ahead log into the database and start it over (``WalBound``).
WAL_RESTART = "PRAGMA wal_checkpoint(RESTART)"


def journal_size_limit(size: int) -> str:
    """Cuts a log that started over back to ``size`` bytes (SQLite keeps its largest
    size otherwise; a PRAGMA takes no parameters)."""
    return f"PRAGMA journal_size_limit = {size:d}"


#: The schema declares no foreign keys (the lifecycle ties parents to children): off,
#: whatever the SQLite build's default.
NO_FOREIGN_KEYS = "PRAGMA foreign_keys = OFF"
#: Fails where SQLite was built without the JSON functions that batch writes use.
JSON_CHECK = "SELECT json_array_length(json_array(1))"
#: The migration number the file is at (0 for a new file).
USER_VERSION = "PRAGMA user_version"
#: Damaged pages or indexes, up to five (it reads the whole file).
QUICK_CHECK = "PRAGMA quick_check(5)"
#: The tables of the file: whether a file of unknown version is a queue file at all.
TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"


def set_user_version(version: int) -> str:
    """Records a migration, in its own transaction (a PRAGMA takes no parameters)."""
    return f"PRAGMA user_version = {version:d}"


#: Changes whenever another connection commits: how idle workers notice new work.
DATA_VERSION = "PRAGMA data_version"
#: Waiting for a busy file is ``_schema.retry_busy``'s job, which waits less per try.
NO_BUSY_WAIT = "PRAGMA busy_timeout = 0"
#: The id given by the last insert: a run of inserts gets consecutive ids ending here.
LAST_ROWID = "SELECT last_insert_rowid()"

# -- enqueue ----------------------------------------------------------------------------

#: Most jobs: their NULL columns left to the defaults (sqlite3 binds None only after
#: looking for an adapter, which costs more than the column).
INSERT_JOB_PLAIN = (
    "INSERT INTO jobs (kind, queue, status, payload, priority, run_at, max_attempts, tags,"
    " created_at, updated_at) VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6, ?7, ?8, ?8)"
)
#: A job with a timeout, a parent, a unique key or a limit key.
INSERT_JOB = (
    "INSERT INTO jobs (kind, queue, status, payload, priority, run_at, max_attempts, tags,"
    " created_at, updated_at, timeout, parent_id, unique_key, limit_key)"
    " VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12)"
)


def _insert_run(boxed: bool) -> str:
    payload = "substr(value, 2, length(value) - 2)" if boxed else "value"
    return (
        "INSERT INTO jobs (kind, queue, status, payload, priority, run_at, max_attempts,"
        f" timeout, tags, created_at, updated_at) SELECT ?1, ?2, 'queued', {payload},"
        " ?3, ?4, ?5, ?6, ?7, ?8, ?8 FROM json_each(?9) ORDER BY key"
    )


#: Jobs that differ only in their payloads, which travel as one JSON array that SQLite
#: unpacks (a third of an ``executemany`` per row); by ``boxed``: each payload in a
#: one-item array, which ``json_each`` gives back as JSON text even for a scalar.
INSERT_RUN = {boxed: _insert_run(boxed) for boxed in (False, True)}
#: The "enqueued" events of a run of jobs, written by SQLite from the rows just inserted.
INSERT_RUN_EVENTS = (
    "INSERT INTO events (job_id, type, at, data) SELECT id, 'enqueued', ?, ?"
    " FROM jobs WHERE id BETWEEN ? AND ? ORDER BY id"
)
#: A job's tags, in the table that ``jobs(tag=...)`` and ``stats(tag=...)`` search.
INSERT_TAG = "INSERT OR IGNORE INTO job_tags (tag, job_id) VALUES (?, ?)"
#: Event rows, several per statement (by row count).
INSERT_EVENTS = {
    size: "INSERT INTO events (job_id, type, at, data) VALUES " + _values(size)
    for size in CHUNK_SIZES
}
#: The active job holding a unique key: an enqueue with that key returns it instead.
KEY_HOLDER = (
    f"SELECT {_JOBS} FROM jobs WHERE unique_key = ? AND status IN ('queued', 'running')"
    " ORDER BY id DESC LIMIT 1"
)
#: One more child for an active parent; one that waits shows the share of its children
#: finished. No row back: the parent has finished (or never was).
ADD_CHILD = (
    "UPDATE jobs SET children = children + 1, updated_at = ?,"
    f" progress = CASE WHEN {_WAITING} THEN {_ADDED_SHARE} ELSE progress END,"
    f" progress_message = CASE WHEN {_WAITING} THEN {_ADDED_MESSAGE} ELSE progress_message END"
    " WHERE id = ? AND status IN ('queued', 'running') RETURNING id"
)
#: A batch parent starts waiting at once: it runs no handler of its own.
START_BATCH = "UPDATE jobs SET status = 'running', started_at = ?, updated_at = ? WHERE id = ?"
#: Whether a job is a batch parent (a unique key held by another job refuses a batch).
IS_BATCH = f"SELECT {_BATCH_PARENT} FROM jobs WHERE id = ?"

# -- claim and finish -------------------------------------------------------------------


def _numbered_marks(count: int) -> str:
    """Parameters ``?1`` to ``?count``, comma-separated: a statement's first ``count``
    arguments, which it may name again further on."""
    return ", ".join(f"?{number}" for number in range(1, count + 1))


def _due_along(keyed: bool, where: str, columns: str) -> str:
    """A queue's (?1) due jobs (at ?2) with no dependency left that pass ``where``,
    without a key (along ``jobs_claimable``) or with one (``jobs_keyed_claimable``);
    each index holds its jobs in claim order."""
    index, key = ("jobs_keyed_claimable", "NOT NULL") if keyed else ("jobs_claimable", "NULL")
    return (
        f"SELECT {columns} FROM jobs INDEXED BY {index} WHERE status = 'queued'"
        f" AND queue = ?1 AND run_at <= ?2 AND blockers = 0 AND limit_key IS {key}{where}"
    )


def _due(where: str, columns: str = "id, priority, run_at") -> str:
    """``_due_along`` of the unkeyed and of the keyed jobs, merged in claim order (each
    a walk of its index that stops when the merge has what it takes)."""
    return (
        f"{_due_along(False, where, columns)} UNION ALL {_due_along(True, where, columns)}"
        " ORDER BY priority DESC, run_at, id"
    )


#: A claimed job's new attempt: running, leased to worker ?4 until ?5 from ?2 (see
#: ``CLAIM``).
_CLAIM_SET = (
    "UPDATE jobs SET status = 'running', attempt = attempt + 1, run_id = random(),"
    " worker = ?4, lease_until = ?5, started_at = ?2, updated_at = ?2,"
    " progress = 0, progress_message = NULL, error = NULL"
)


def _claim(pick: str, kinds: str) -> str:
    return (
        f"{_CLAIM_SET} WHERE id {pick} (SELECT id FROM ({_due(kinds)}"
        " LIMIT (SELECT CASE WHEN q.paused THEN 0"
        " WHEN q.concurrency_limit IS NULL THEN ?3"
        " ELSE max(0, min(?3, q.concurrency_limit - (SELECT count(*) FROM jobs"
        " WHERE status = 'running' AND queue = ?1 AND lease_until IS NOT NULL))) END"
        " FROM (SELECT ?1 AS name) LEFT JOIN queues AS q USING (name))))"
        f" RETURNING {_CLAIMED}"
    )


#: Kinds a claim names one by one (``kind IN (?6, ?7, ...)``); more travel as one JSON
#: list (?6) that ``json_each`` unpacks, which costs a one-job claim a fifth of its
#: instructions (145k against 113k for one kind by ``kind = ?6``).
KINDS_LISTED = 8


def _kinds_filter(count: int | None) -> str:
    if count is None:
        return ""
    if count > KINDS_LISTED:
        return " AND kind IN (SELECT value FROM json_each(?6))"
    return f" AND kind IN ({', '.join(f'?{6 + k}' for k in range(count))})"


#: One statement claims the best due jobs of a queue, of the kinds asked for (see
#: ``KINDS_LISTED``; ``None`` for any), as many as wanted (?3) and as its settings allow
#: (none when paused; within its limit of running jobs across every worker), by
#: ``(one, kinds)``: ``one`` picks a lone job with `=` rather than `IN`, which spares
#: SQLite a temporary table. A new run starts clean: an earlier run's error and
#: progress stay in the event log only.
CLAIM = {
    (one, count): _claim("=" if one else "IN", _kinds_filter(count))
    for one in (True, False)
    for count in (None, *range(KINDS_LISTED + 2))
}


#: Whether a job's key has room to start one more (``{key}``): its running jobs under
#: ``per_key_limit`` (?7), its starts in the per-key window under the per-key rate
#: (?8 in ?9 seconds).
_KEY_ROOM = (
    "(?7 IS NULL OR (SELECT count(*) FROM jobs AS r WHERE r.status = 'running'"
    " AND r.queue = ?1 AND r.limit_key = {key} AND r.lease_until IS NOT NULL) < ?7)"
    " AND (?8 IS NULL OR (SELECT count(*) FROM key_starts AS s WHERE s.queue = ?1"
    " AND s.limit_key = {key} AND s.at > ?2 - ?9) < ?8)"
)
#: A key's first due job in claim order (its turn): one step down ``jobs_key_queued``.
_KEY_HEAD = (
    "(SELECT e.id FROM jobs AS e INDEXED BY jobs_key_queued"
    " WHERE e.status = 'queued' AND e.queue = ?1 AND e.limit_key = {key}"
    " AND e.run_at <= ?2 AND e.blockers = 0"
    " ORDER BY e.priority DESC, e.run_at, e.id LIMIT 1)"
)
#: How many jobs a limited claim may start: as many as wanted (?3), within the queue's
#: limit of running jobs and its rate; none when paused.
_LIMITED_ALLOWED = (
    "(SELECT CASE WHEN q.paused THEN 0 ELSE max(0, min(?3,"
    " CASE WHEN q.concurrency_limit IS NULL THEN ?3 ELSE q.concurrency_limit"
    " - (SELECT count(*) FROM jobs WHERE status = 'running' AND queue = ?1"
    " AND lease_until IS NOT NULL) END,"
    " CASE WHEN q.rate_count IS NULL THEN ?3 ELSE q.rate_count - q.rate_used END)) END"
    " FROM queues AS q WHERE q.name = ?1)"
)
_KINDS_JSON = "(?6 IS NULL OR {kind} IN (SELECT value FROM json_each(?6)))"
_KINDS_WHERE = " AND " + _KINDS_JSON.format(kind="kind")


def _claim_limited(pick: str) -> str:
    return (
        f"{_CLAIM_SET} WHERE id {pick} (SELECT id FROM"
        f" ({_due(_KINDS_WHERE, 'id, limit_key, priority, run_at')}"
        " LIMIT ?10) AS c"
        " WHERE c.limit_key IS NULL OR (?7 IS NULL AND ?8 IS NULL)"
        f" OR (c.id = {_KEY_HEAD.format(key='c.limit_key')}"
        f" AND {_KEY_ROOM.format(key='c.limit_key')})"
        # No ORDER BY: the window comes in claim order, and a sort would look at all
        # of it where the walk stops at the last job it may take.
        f" LIMIT {_LIMITED_ALLOWED})"
        f" RETURNING {_CLAIMED}"
    )


#: The claim of a queue with a rate or per-key limits (its settings: ?7 per_key_limit,
#: ?8 and ?9 the per-key rate's count and window; the queue's own rate read from its
#: row; its ``rate_used`` counts the starts in its window, ``FORGET_STARTS`` having
#: dropped the older ones). The queue's limit and rate cap how many go (the LIMIT);
#: while the queue has per-key settings, a job with a ``limit_key`` goes only while
#: its key has room (running jobs, starts in the window) and only as the first due
#: job of its key (the claim order, kept per key: one step down ``jobs_key_queued``;
#: and at most one per key per statement, which each statement's counts then
#: include). It looks at the first ?10 due jobs in claim order only: a key at its
#: limit with a backlog in front would have every claim read and refuse all of it;
#: when these do not give as many as wanted, ``CLAIM_BY_KEY`` looks further. By
#: ``one``, as ``CLAIM``: a lone job is picked with ``=``, which spares SQLite a
#: temporary table.
CLAIM_LIMITED = {one: _claim_limited("=" if one else "IN") for one in (True, False)}


_FIRST_COLUMNS = "limit_key, id, priority, run_at, blockers, kind"


def _claim_by_key(pick: str) -> str:
    return (
        f"{_CLAIM_SET} WHERE id {pick} (WITH RECURSIVE"
        # Each key's first queued job, stepping from one key to the next.
        f" firsts(k, id, priority, run_at, blockers, kind) AS (SELECT {_FIRST_COLUMNS}"
        " FROM jobs WHERE id = (SELECT id FROM jobs INDEXED BY jobs_key_queued"
        " WHERE status = 'queued' AND queue = ?1 AND limit_key IS NOT NULL"
        " ORDER BY limit_key, priority DESC, run_at, id LIMIT 1)"
        " UNION ALL SELECT j.limit_key, j.id, j.priority, j.run_at, j.blockers, j.kind"
        " FROM firsts JOIN jobs AS j ON j.id = (SELECT e.id FROM jobs AS e"
        " INDEXED BY jobs_key_queued WHERE e.status = 'queued' AND e.queue = ?1"
        " AND e.limit_key > firsts.k"
        " ORDER BY e.limit_key, e.priority DESC, e.run_at, e.id LIMIT 1)),"
        # Its first due job: that one, or (delayed, waiting for others) one further.
        " heads(id, k, priority, run_at, kind) AS (SELECT id, k, priority, run_at, kind"
        " FROM firsts WHERE run_at <= ?2 AND blockers = 0"
        " UNION ALL SELECT h.id, h.limit_key, h.priority, h.run_at, h.kind FROM firsts"
        f" JOIN jobs AS h ON h.id = {_KEY_HEAD.format(key='firsts.k')}"
        " WHERE NOT (firsts.run_at <= ?2 AND firsts.blockers = 0))"
        # In claim order with the unkeyed jobs; the keys' room looked at in that order.
        " SELECT id FROM (SELECT id, k, priority, run_at FROM heads"
        f" WHERE {_KINDS_JSON.format(kind='kind')}"
        " UNION ALL SELECT * FROM"
        f" ({_due_along(False, _KINDS_WHERE, 'id, limit_key, priority, run_at')}"
        " ORDER BY priority DESC, run_at, id LIMIT ?3)"
        " ORDER BY 3 DESC, 4, 1 LIMIT -1) AS c"
        f" WHERE c.k IS NULL OR ({_KEY_ROOM.format(key='c.k')})"
        f" LIMIT {_LIMITED_ALLOWED})"
        f" RETURNING {_CLAIMED}"
    )


#: ``CLAIM_LIMITED`` of a queue with per-key settings, walking keys rather than jobs:
#: each key's first queued job (from one key to the next along ``jobs_key_queued``,
#: a skip scan), or its first due one when that one is not, beside the queue's first
#: due jobs without a key (along ``jobs_claimable``), in claim order, taken while
#: their keys have room (looked at in that order, as far as needed). What it reads
#: grows with the queue's keys and what it hands out, not with the backlog of a key
#: at its limit. By ``one``, as ``CLAIM``.
CLAIM_BY_KEY = {one: _claim_by_key("=" if one else "IN") for one in (True, False)}
#: A queue's flow-control settings: whether its claim is ``CLAIM_LIMITED``; with a
#: rate, also its count of the starts kept (NULL without, so that a queue with no
#: limits reads all NULLs).
QUEUE_LIMITS = (
    "SELECT rate_count, rate_period, key_rate_count, key_rate_period, per_key_limit,"
    " CASE WHEN rate_count IS NOT NULL THEN rate_used END"
    " FROM queues WHERE name = ?"
)
#: Claims counted by the queue's rate...
RECORD_START = "INSERT INTO starts (queue, at) VALUES (?, ?)"
#: ...and by its count of them (in the same transaction).
ADD_RATE_USED = "UPDATE queues SET rate_used = rate_used + ? WHERE name = ?"
#: Claims of keyed jobs counted by the per-key rate.
RECORD_KEY_START = "INSERT INTO key_starts (queue, limit_key, at) VALUES (?, ?, ?)"
#: Starts that the queue's window no longer counts (before a claim reads ``rate_used``;
#: each row is deleted once, so this costs a claim what it recorded, not its window).
#: The per-key rate counts its window's rows by time, so its older rows only take room.
FORGET_STARTS = "DELETE FROM starts WHERE queue = ? AND at <= ?"
FORGET_KEY_STARTS = "DELETE FROM key_starts WHERE queue = ? AND at <= ?"
#: The starts of a queue whose rate was removed (by ``set_queue``), and its count of
#: them, counted again from the rows (also when its rate changes).
CLEAR_STARTS = "DELETE FROM starts WHERE queue = ?"
CLEAR_KEY_STARTS = "DELETE FROM key_starts WHERE queue = ?"
RECOUNT_RATE_USED = (
    "UPDATE queues SET rate_used = (SELECT count(*) FROM starts WHERE queue = ?1) WHERE name = ?1"
)


def next_window(queues: int) -> str:
    """When the rate window of one of ``queues`` queues next lets a start out: the
    oldest start it counts, plus its length (POSIX seconds; the last ``?`` is now)."""
    marks = _numbered_marks(queues)
    now = f"?{queues + 1}"
    return (
        "SELECT min(t) FROM (SELECT min(s.at) + q.rate_period AS t FROM starts AS s"
        " JOIN queues AS q ON q.name = s.queue"
        f" WHERE s.queue IN ({marks}) AND q.rate_count IS NOT NULL"
        f" AND s.at > {now} - q.rate_period GROUP BY s.queue"
        " UNION ALL SELECT min(s.at) + q.key_rate_period FROM key_starts AS s"
        " JOIN queues AS q ON q.name = s.queue"
        f" WHERE s.queue IN ({marks}) AND q.key_rate_count IS NOT NULL"
        f" AND s.at > {now} - q.key_rate_period"
        " GROUP BY s.queue)"
    )


def queues_held(queues: int) -> str:
    """How many of ``queues`` queues let no job start now, whatever is enqueued: paused,
    or with as many starts in their rate's window as it allows (``rate_used`` less the
    starts that left the window: few, since a claim the count could refuse deletes
    them first). The last ``?`` is now."""
    marks = _numbered_marks(queues)
    now = f"?{queues + 1}"
    return (
        f"SELECT count(*) FROM queues AS q WHERE q.name IN ({marks})"
        " AND (q.paused OR (q.rate_used >= q.rate_count"
        " AND q.rate_used - (SELECT count(*) FROM starts AS s WHERE s.queue = q.name"
        f" AND s.at <= {now} - q.rate_period) >= q.rate_count))"
    )


def queues_capped(queues: int) -> str:
    """Whether any of ``queues`` queues caps its running jobs: a concurrency limit or a
    per-key limit."""
    marks = _numbered_marks(queues)
    return (
        f"SELECT EXISTS (SELECT 1 FROM queues WHERE name IN ({marks})"
        " AND (concurrency_limit IS NOT NULL OR per_key_limit IS NOT NULL))"
    )


def held_back(queues: int) -> str:
    """Whether due jobs of ``queues`` queues (of the kinds in the JSON list after them,
    NULL for any), with no dependency left, wait in a queue that is not paused and has
    a rate or per-key limits: held back by those, which ``run(until_empty=True)``
    waits out. A keyed job behind a due job of its key of a kind not listed is not
    held back by a limit but by that job, which the caller will never start. The last
    ``?`` is now."""
    marks = ", ".join("?" * queues)
    kinds, now = f"?{queues + 1}", f"?{queues + 2}"
    return (
        "SELECT EXISTS (SELECT 1 FROM jobs AS j JOIN queues AS q ON q.name = j.queue"
        f" WHERE j.status = 'queued' AND j.queue IN ({marks})"
        f" AND j.run_at <= {now} AND j.blockers = 0 AND NOT q.paused"
        f" AND ({kinds} IS NULL OR j.kind IN (SELECT value FROM json_each({kinds})))"
        " AND (q.rate_count IS NOT NULL OR q.key_rate_count IS NOT NULL"
        " OR q.per_key_limit IS NOT NULL)"
        f" AND NOT (j.limit_key IS NOT NULL AND {kinds} IS NOT NULL"
        " AND (q.key_rate_count IS NOT NULL OR q.per_key_limit IS NOT NULL)"
        " AND EXISTS (SELECT 1 FROM jobs AS e WHERE e.status = 'queued'"
        f" AND e.queue = j.queue AND e.limit_key = j.limit_key AND e.run_at <= {now}"
        f" AND e.blockers = 0 AND e.kind NOT IN (SELECT value FROM json_each({kinds}))"
        " AND (e.priority > j.priority OR (e.priority = j.priority"
        " AND (e.run_at < j.run_at OR (e.run_at = j.run_at AND e.id < j.id)))))))"
    )


#: Attempts whose lease ran out (their worker died or stalled): taken back before a claim.
#: (Every claim asks. ``INDEXED BY``: without statistics SQLite prefers the
#: dashboard's ``jobs_status (status, id)`` and reads every running job, 280-400 us a
#: claim beside 2,000 running jobs against 5-6 us along the leases.)
EXPIRED = (
    "SELECT id, attempt, max_attempts, run_id FROM jobs INDEXED BY jobs_leases"
    " WHERE status = 'running' AND lease_until < ?"
)
#: Successes, fenced by run id, several per statement (by row count). A job that took
#: children keeps running, without a lease, and its children decide how it ends.
SUCCEED = {
    size: "UPDATE jobs SET status = CASE WHEN children > 0 THEN 'running' ELSE 'succeeded' END,"
    " result = o.column3, handler_version = o.column4,"
    " error = NULL, lease_until = NULL, worker = NULL,"
    f" progress = CASE WHEN children > 0 THEN {_FINISHED_SHARE} ELSE 100 END,"
    f" progress_message = CASE WHEN children > 0 THEN {_FINISHED_MESSAGE}"
    " ELSE progress_message END,"
    " finished_at = CASE WHEN children > 0 THEN NULL ELSE ?1 END,"
    " updated_at = ?1 FROM (VALUES " + _values(size) + ") AS o"
    " WHERE jobs.id = o.column1 AND jobs.run_id = o.column2"
    " AND jobs.status = 'running' AND jobs.lease_until >= ?1"
    " RETURNING jobs.id, jobs.run_id, jobs.status, jobs.parent_id, jobs.attempt,"
    " jobs.children_finished >= jobs.children"
    for size in CHUNK_SIZES
}
#: A success of a job with no parent, no children and no dependants, by id: no
#: ``RETURNING`` (which makes SQLite build a temporary table) and nothing to read back.
SUCCEED_PLAIN = (
    "UPDATE jobs SET status = 'succeeded', result = ?, handler_version = ?,"
    " error = NULL, lease_until = NULL, worker = NULL, progress = 100,"
    " finished_at = ?, updated_at = ? WHERE id = ? AND run_id = ?"
    " AND status = 'running' AND lease_until >= ? AND children = 0"
    " AND parent_id IS NULL AND has_dependants = 0"
)
#: Many plain successes, a chunk of them per statement (by row count): 32.7k
#: instructions a job where ``SUCCEED_PLAIN`` by ``executemany`` took 39.2k (100 jobs
#: a transaction; fewer go by ``executemany``, see ``_transaction``). The ``+`` keeps
#: SQLite finding each job by its id.
SUCCEED_PLAIN_MANY = {
    size: "UPDATE jobs SET status = 'succeeded', result = o.column3,"
    " handler_version = o.column4, error = NULL, lease_until = NULL, worker = NULL,"
    " progress = 100, finished_at = ?1, updated_at = ?1"
    " FROM (VALUES " + _values(size) + ") AS o"
    " WHERE jobs.id = o.column1 AND jobs.run_id = o.column2"
    " AND +jobs.status = 'running' AND +jobs.lease_until >= ?1 AND jobs.children = 0"
    " AND jobs.parent_id IS NULL AND jobs.has_dependants = 0"
    for size in CHUNK_SIZES
}
#: Several plain successes are all or nothing: one that misses undoes the others.
SAVE_PLAIN = "SAVEPOINT plain_successes"
UNDO_PLAIN = "ROLLBACK TO plain_successes"
KEEP_PLAIN = "RELEASE plain_successes"


def _fenced(set_clause: str, expired: bool) -> str:
    """An update of an attempt's job, only while that attempt holds it: its run id, and
    (unless its lease is known to have expired) a lease not yet run out (the last ?)."""
    fence = "id = ? AND run_id = ? AND status = 'running' AND lease_until IS NOT NULL"
    if not expired:
        fence += " AND lease_until >= ?"
    return f"UPDATE jobs SET {set_clause} WHERE {fence} RETURNING status, parent_id, attempt"


#: A stopping worker's hand-back: not the job's failure, so it goes back to the queue
#: even from its last attempt (the attempt stays counted). By ``expired``.
RELEASE = {
    expired: _fenced(
        "status = 'queued', error = ?, lease_until = NULL, worker = NULL, run_at = ?,"
        " updated_at = ?",
        expired,
    )
    for expired in (False, True)
}
#: A failed attempt: back to the queue at ``retry_at`` while attempts are left, else
#: failed. By ``expired``.
FAIL = {
    expired: _fenced(
        "status = CASE WHEN ? IS NOT NULL AND attempt < max_attempts"
        " THEN 'queued' ELSE 'failed' END, error = ?, lease_until = NULL, worker = NULL,"
        " handler_version = coalesce(?, handler_version),"
        " run_at = coalesce(?, run_at),"
        " finished_at = CASE WHEN ? IS NOT NULL AND attempt < max_attempts"
        " THEN NULL ELSE ? END, updated_at = ?",
        expired,
    )
    for expired in (False, True)
}
#: An attempt that ended cancelled (its handler raised ``Cancel``). By ``expired``.
CANCEL_ATTEMPT = {
    expired: _fenced(
        "status = 'cancelled', error = ?, lease_until = NULL, worker = NULL,"
        " finished_at = ?, updated_at = ?",
        expired,
    )
    for expired in (False, True)
}
#: A child of an active parent ended: the parent's progress moves on.
CHILD_ENDED = (
    "UPDATE jobs SET children_finished = children_finished + 1,"
    f" progress = {_ENDED_SHARE}, progress_message = {_ENDED_MESSAGE},"
    " updated_at = ? WHERE id = ? AND status IN ('queued', 'running')"
    " RETURNING status, lease_until, children, children_finished, progress,"
    " progress_message"
)
#: How many of a parent's children did not succeed: whether it fails.
UNSUCCESSFUL_CHILDREN = "SELECT count(*) FROM jobs WHERE parent_id = ? AND status != 'succeeded'"
#: A job that waited for its children ends, as they decided.
END_PARENT = (
    "UPDATE jobs SET status = ?, error = coalesce(?, error), progress = 100,"
    " finished_at = ?, updated_at = ? WHERE id = ? RETURNING parent_id"
)


def worth_claiming(queues: int) -> str:
    """Whether a claim on ``queues`` queues, of the kinds in the JSON list after them
    (NULL for any), at now (the next ``?``) could take or take back anything: a due
    queued job, a lease run out; or the file is past the schema version (the last
    ``?``) and a write would be refused. More than a claim takes (paused queues,
    limits): only a no here counts."""
    marks = _numbered_marks(queues)
    kinds, now, version = (f"?{queues + n}" for n in (1, 2, 3))
    return (
        "SELECT EXISTS (SELECT 1 FROM jobs INDEXED BY jobs_claimable WHERE status = 'queued'"
        f" AND limit_key IS NULL AND queue IN ({marks}) AND run_at <= {now} AND blockers = 0"
        f" AND ({kinds} IS NULL OR kind IN (SELECT value FROM json_each({kinds}))))"
        " OR EXISTS (SELECT 1 FROM jobs INDEXED BY jobs_keyed_claimable"
        f" WHERE status = 'queued' AND limit_key IS NOT NULL AND queue IN ({marks})"
        f" AND run_at <= {now} AND blockers = 0"
        f" AND ({kinds} IS NULL OR kind IN (SELECT value FROM json_each({kinds}))))"
        " OR EXISTS (SELECT 1 FROM jobs INDEXED BY jobs_leases"
        f" WHERE status = 'running' AND lease_until < {now})"
        f" OR (SELECT user_version FROM pragma_user_version) > {version}"
    )


def next_run_at(queues: int) -> str:
    """When the next delayed job of ``queues`` queues becomes due, of the kinds in the
    JSON list after them (NULL for any), after now (the last ``?``). Jobs due already
    and not claimed are held by something that a commit changes (a pause, a limit, a
    dependency): waiting for their time would be spinning.

    Along the due times from now, it stops at the first such job: without ``INDEXED
    BY`` SQLite reads every queued job (a worker asks after each claim that found less
    than it wanted: 16 ms beside 50,000 delayed jobs, 7 us along ``jobs_by_run_at``)."""
    marks = ", ".join("?" * queues)
    return (
        "SELECT min(run_at) FROM jobs INDEXED BY jobs_by_run_at"
        f" WHERE status = 'queued' AND queue IN ({marks})"
        f" AND run_at > ?{queues + 2} AND blockers = 0"
        f" AND (?{queues + 1} IS NULL OR kind IN (SELECT value FROM json_each(?{queues + 1})))"
    )


#: When the next lease runs out: a worker then takes that job back (along the leases,
#: as ``EXPIRED``: one index entry, where ``jobs_status`` reads every running job).
NEXT_LEASE_END = (
    "SELECT min(lease_until) FROM jobs INDEXED BY jobs_leases"
    " WHERE status = 'running' AND lease_until IS NOT NULL"
)
#: Leases extended by attempt (job id and run id, as one JSON array), not by worker
#: name: two workers given one name must not keep each other's jobs leased.
HEARTBEAT = (
    "UPDATE jobs SET lease_until = ? WHERE status = 'running'"
    " AND lease_until IS NOT NULL AND (id, run_id) IN (SELECT"
    " json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))"
    " RETURNING id, run_id"
)
#: A running attempt's progress; nothing when the attempt no longer holds its job.
PROGRESS = (
    "UPDATE jobs SET progress = coalesce(?, progress),"
    " progress_message = coalesce(?, progress_message), updated_at = ?"
    " WHERE id = ? AND run_id = ? AND status = 'running' AND lease_until >= ?"
    " RETURNING progress, progress_message"
)
#: Whether an attempt still holds its job (a lost attempt's log lines are dropped).
ATTEMPT_HOLDS = "SELECT 1 FROM jobs WHERE id = ? AND run_id = ? AND status = 'running'"

# -- changes by hand --------------------------------------------------------------------

#: The unfinished children of a job: cancelled with it.
ACTIVE_CHILDREN = "SELECT id FROM jobs WHERE parent_id = ? AND status IN ('queued', 'running')"
#: A queued or running job cancelled, by request (an earlier attempt's error is not why
#: it ended: that stays in the event log) or for a dependency (the error says which).
CANCEL_JOB = (
    "UPDATE jobs SET status = 'cancelled', error = ?, lease_until = NULL, worker = NULL,"
    " finished_at = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'running')"
    " RETURNING parent_id"
)
#: A finished job queued again, with a fresh budget of attempts, as if never run (the
#: earlier runs are in the event log).
REQUEUE = (
    "UPDATE jobs SET status = 'queued', attempt = 0, run_at = ?, error = NULL,"
    " started_at = NULL, finished_at = NULL, updated_at = ?, progress = 0,"
    " progress_message = NULL WHERE id = ?"
)
#: The children a retried parent puts back: those that failed or were cancelled.
CHILDREN_TO_RETRY = (
    "SELECT id, status FROM jobs WHERE parent_id = ? AND status IN ('failed', 'cancelled')"
)
#: A retried parent counts as finished the children that stay finished: those that
#: are neither active nor going back.
COUNT_KEPT_CHILDREN = (
    "UPDATE jobs SET children_finished = children - (SELECT count(*) FROM jobs AS child"
    " WHERE child.parent_id = jobs.id AND child.status IN"
    " ('queued', 'running', 'failed', 'cancelled')) WHERE id = ?"
)
#: Whether what is left of a job is waiting for its children: a batch parent's, or a
#: job's whose handler returned (its result is kept).
WAITS_FOR_CHILDREN = (
    f"SELECT children > 0 AND ({_BATCH_PARENT} OR result IS NOT NULL) FROM jobs WHERE id = ?"
)
#: A finished parent waits for its children again.
REOPEN = (
    "UPDATE jobs SET status = 'running', error = NULL, lease_until = NULL,"
    " finished_at = NULL, updated_at = ? WHERE id = ?"
)
#: A parent's status and its own parent: whether a child put back reopens it.
STATUS_AND_PARENT = "SELECT status, parent_id FROM jobs WHERE id = ?"
#: A waiting parent's finished children counted from their rows (a cancelled batch's
#: children were not counted as they ended); a child whose row is gone had finished.
RECOUNT = (
    "UPDATE jobs SET children_finished = jobs.children - k.left,"
    f" progress = {_LEFT_SHARE}, progress_message = {_LEFT_MESSAGE},"
    " updated_at = ?1"
    " FROM (SELECT count(*) AS left FROM jobs WHERE parent_id = ?2"
    " AND status IN ('queued', 'running')) AS k"
    " WHERE jobs.id = ?2 AND jobs.status IN ('queued', 'running')"
    " RETURNING jobs.children, jobs.children_finished, jobs.status = 'running'"
    " AND jobs.lease_until IS NULL"
)

# -- dependencies -----------------------------------------------------------------------

#: The statuses of the jobs in a JSON list of ids: what a new dependant waits for.
STATUSES = "SELECT id, status FROM jobs WHERE id IN (SELECT value FROM json_each(?))"
#: The edges from a new job (?2) to the jobs it depends on (a JSON list of ids).
ADD_DEPENDENCIES = (
    "INSERT OR IGNORE INTO job_dependencies (depends_on, job_id)"
    " SELECT value, ?2 FROM json_each(?1)"
)
#: Jobs that others depend on: their success is not recorded by ``SUCCEED_PLAIN``.
MARK_DEPENDED_ON = "UPDATE jobs SET has_dependants = 1 WHERE id IN (SELECT value FROM json_each(?))"
#: A new dependant's own list, and how many of them it waits for.
SET_DEPENDENCIES = "UPDATE jobs SET depends_on = ?, blockers = ? WHERE id = ?"
#: A job succeeded: the queued jobs that depend on it wait for one fewer.
RELEASE_DEPENDANTS = (
    "UPDATE jobs SET blockers = blockers - 1, updated_at = ?1 WHERE id IN"
    " (SELECT job_id FROM job_dependencies WHERE depends_on = ?2)"
    " AND status = 'queued' AND blockers > 0"
)
#: The queued jobs that depend on a job: cancelled when it fails or is cancelled.
QUEUED_DEPENDANTS = (
    "SELECT job_id FROM job_dependencies JOIN jobs ON jobs.id = job_dependencies.job_id"
    " WHERE job_dependencies.depends_on = ? AND jobs.status = 'queued' ORDER BY job_id"
)
#: A job put back waits again for those of its dependencies that have not succeeded.
SET_BLOCKERS = "UPDATE jobs SET blockers = ? WHERE id = ?"
#: The edges of jobs listed as one JSON array, going with their rows.
DELETE_DEPENDENCIES = (
    "DELETE FROM job_dependencies WHERE job_id IN (SELECT value FROM json_each(?1))"
    " OR depends_on IN (SELECT value FROM json_each(?1))"
)

# -- schedules --------------------------------------------------------------------------

_SCHEDULE = (
    "name, kind, cron, payload, timezone, queue, catch_up, paused, created_at, next_slot, last_slot"
)
#: A schedule stored or changed: a changed cron or time zone starts its slots anew
#: (?9, the next slot from now); otherwise it keeps its place and pause.
SAVE_SCHEDULE = (
    f"INSERT INTO schedules ({_SCHEDULE}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9, NULL)"
    " ON CONFLICT (name) DO UPDATE SET kind = ?2, payload = ?4, queue = ?6, catch_up = ?7,"
    " next_slot = CASE WHEN cron = ?3 AND timezone = ?5 THEN next_slot ELSE ?9 END,"
    " cron = ?3, timezone = ?5"
)
SCHEDULE = f"SELECT {_SCHEDULE} FROM schedules WHERE name = ?"
SCHEDULES = f"SELECT {_SCHEDULE} FROM schedules ORDER BY name"
#: Paused or resumed; a resumed schedule's next slot is given (the missed ones pass).
SET_SCHEDULE_PAUSED = (
    "UPDATE schedules SET paused = ?1, next_slot = coalesce(?2, next_slot) WHERE name = ?3"
    " RETURNING name"
)
REMOVE_SCHEDULE = "DELETE FROM schedules WHERE name = ? RETURNING name"


def due_schedules(queues: int) -> str:
    """The unpaused schedules of ``queues`` queues whose next slot has passed (the
    last ``?`` is now): what a scheduler enqueues."""
    marks = _numbered_marks(queues)
    return (
        "SELECT name, kind, cron, payload, timezone, queue, catch_up, next_slot FROM schedules"
        f" WHERE NOT paused AND queue IN ({marks}) AND next_slot <= ?{queues + 1} ORDER BY name"
    )


def next_slot(queues: int) -> str:
    """When the next slot of an unpaused schedule of ``queues`` queues comes."""
    marks = ", ".join("?" * queues)
    return f"SELECT min(next_slot) FROM schedules WHERE NOT paused AND queue IN ({marks})"


#: A schedule moved on past the slots just handled.
ADVANCE_SCHEDULE = (
    "UPDATE schedules SET next_slot = ?, last_slot = coalesce(?, last_slot) WHERE name = ?"
)

# -- queue settings ---------------------------------------------------------------------

#: A queue's settings row, made on its first change.
ADD_QUEUE = "INSERT OR IGNORE INTO queues (name) VALUES (?)"
SET_LIMIT = "UPDATE queues SET concurrency_limit = ? WHERE name = ?"
SET_PAUSED = "UPDATE queues SET paused = ? WHERE name = ?"
SET_RATE = "UPDATE queues SET rate_count = ?, rate_period = ? WHERE name = ?"
SET_KEY_RATE = "UPDATE queues SET key_rate_count = ?, key_rate_period = ? WHERE name = ?"
SET_PER_KEY_LIMIT = "UPDATE queues SET per_key_limit = ? WHERE name = ?"
_SETTINGS = (
    "name, concurrency_limit, paused, rate_count, rate_period, key_rate_count,"
    " key_rate_period, per_key_limit"
)
QUEUE_SETTINGS = f"SELECT {_SETTINGS} FROM queues WHERE name = ?"
#: Every queue with settings or jobs (one with jobs only has the default settings).
QUEUES = (
    f"SELECT {_SETTINGS} FROM queues UNION"
    " SELECT DISTINCT queue, NULL, 0, NULL, NULL, NULL, NULL, NULL FROM jobs"
    " WHERE queue NOT IN (SELECT name FROM queues) ORDER BY 1"
)

# -- workers ----------------------------------------------------------------------------

#: A running worker's record, made or renewed (what it serves may change).
WORKER_ALIVE = (
    "INSERT INTO workers (name, queues, kinds, started_at, expires_at, seen_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?4) ON CONFLICT (name) DO UPDATE"
    " SET queues = ?2, kinds = ?3, expires_at = ?5, seen_at = ?4"
)
#: A stopped worker's record, and any that ran out long ago.
WORKER_GONE = "DELETE FROM workers WHERE name = ? OR expires_at < ?"
#: The workers whose records have not run out, each with the running jobs it holds.
WORKERS = (
    "SELECT name, queues, kinds, started_at, coalesce(seen_at, started_at),"
    " (SELECT count(*) FROM jobs WHERE status = 'running' AND lease_until IS NOT NULL"
    " AND worker = workers.name) FROM workers WHERE expires_at >= ? ORDER BY name"
)
#: Queued jobs by queue and kind: those no live worker would claim are shown.
QUEUED_BY_KIND = (
    "SELECT queue, kind, count(*) FROM jobs WHERE status = 'queued' GROUP BY queue, kind"
)

# -- reads ------------------------------------------------------------------------------

GET_JOB = f"SELECT {_JOBS} FROM jobs WHERE id = ?"
#: Whether a job exists (what an error about it should say).
JOB_EXISTS = "SELECT 1 FROM jobs WHERE id = ?"


#: The dashboard's filters (``JobFilter``), by field: each an SQL condition whose
#: every ``?`` takes the field's value (the statuses' are ``LISTING``'s).
DASHBOARD_FILTERS = {
    # The ``+`` keeps SQLite walking the order's index (or a status's), filtering as it goes:
    # through jobs_claimable it would read and sort the queue's every queued job.
    "queue": "+queue = ?",
    "kind": "+kind = ?",
    "tag": "id IN (SELECT job_id FROM job_tags WHERE tag = ?)",
    # LIKE ignores the case of ASCII letters; the listing escapes %, _ and \ in the text.
    "text": "(payload LIKE ? ESCAPE '\\' OR coalesce(error, '') LIKE ? ESCAPE '\\')",
}


#: How many jobs a status holds, counted up to a number (through its index; along the
#: ids for succeeded jobs, which are checked one by one).
STATUS_HOLDS = "SELECT count(*) FROM (SELECT 1 FROM jobs WHERE status = ? LIMIT ?)"
#: The lowest and highest job ids: where a bounded scan of ids starts when no page
#: came before. Two subqueries: each is one step down the id index, where
#: ``min(id), max(id)`` in one SELECT reads every row.
ID_RANGE = "SELECT (SELECT min(id) FROM jobs), (SELECT max(id) FROM jobs)"


#: The listing's SQL (``engines.listing``).
LISTING = ListingSql(
    table="jobs",
    mark="?",
    columns=_JOBS,
    tags="job_tags",
    filters=DASHBOARD_FILTERS,
    id_range=ID_RANGE,
    status_reads={
        # Running jobs are few: their ids through jobs_leases, then rows by id in order.
        "running": "id IN (SELECT id FROM jobs WHERE status = 'running')",
        # No index holds them: the ``+`` keeps SQLite walking the order's, checking each.
        "succeeded": "+status = 'succeeded'",
    },
    # jobs_queued, jobs_leases, jobs_failed_or_cancelled: succeeded jobs are checked
    # along the ids. jobs_by_priority and jobs_by_run_at hold every job: on SQLite an
    # index whose columns a claim or a finish leaves alone costs those nothing.
    listed_statuses=frozenset({"queued", "running", "failed", "cancelled"}),
    # jobs_by_priority leaves out priority 0 (migration 10): an enqueue of such a job
    # writes one B-tree less.
    zero_apart=frozenset({"priority"}),
)


#: Jobs that succeeded or failed since a time, counted by queue, status and minute
#: (the start of the minute, POSIX seconds): the dashboard's throughput chart. The
#: ``+`` keeps SQLite off the status indexes: the time range is the narrow part.
FINISHED_PER_MINUTE = (
    "SELECT queue, status, CAST(finished_at / 60 AS INTEGER) * 60, count(*) FROM jobs"
    " WHERE finished_at >= ? AND +status IN ('succeeded', 'failed') GROUP BY 1, 2, 3"
)
#: The first job (by id) a queue holds that is queued and due: the one it has kept
#: waiting longest, found along ``jobs_queued`` without reading the queue's backlog
#: (through jobs_claimable, SQLite would sort it).
OLDEST_QUEUED = (
    "SELECT id, run_at FROM jobs INDEXED BY jobs_queued WHERE status = 'queued'"
    " AND queue = ? AND run_at <= ? ORDER BY id LIMIT 1"
)

#: Counts by queue and status, of all jobs...
STATS = "SELECT queue, status, count(*) FROM jobs GROUP BY queue, status"
#: ...or of the jobs with a tag.
STATS_BY_TAG = (
    "SELECT queue, status, count(*) FROM jobs WHERE id IN"
    " (SELECT job_id FROM job_tags WHERE tag = ?) GROUP BY queue, status"
)
#: What decides a unique key's state: an active job of any kind holds it (an enqueue
#: with it would return that job), else the newest finished job of the kind (?2).
KEY_STATE = (
    "SELECT status, handler_version FROM jobs WHERE unique_key = ?1"
    " AND (status IN ('queued', 'running') OR ?2 IS NULL OR kind = ?2)"
    " ORDER BY status IN ('queued', 'running') DESC, id DESC LIMIT 1"
)
#: A page of the event log...
EVENTS = (
    "SELECT seq, job_id, type, at, data FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?"
)
#: ...and of one job's events.
JOB_EVENTS = (
    "SELECT seq, job_id, type, at, data FROM events WHERE job_id = ? AND seq > ?"
    " AND seq <= ? ORDER BY seq LIMIT ?"
)
#: Where a follower starts: the newest event's number.
LAST_SEQ = "SELECT coalesce(max(seq), 0) FROM events"

# -- delete -----------------------------------------------------------------------------

#: A job's id and the ids of all its descendants: what deleting it removes.
SUBTREE = (
    "WITH RECURSIVE tree(id) AS (SELECT ? UNION ALL"
    " SELECT jobs.id FROM jobs JOIN tree ON jobs.parent_id = tree.id) SELECT id FROM tree"
)
#: The first running job of a JSON list of ids: a running job is not deleted.
FIRST_RUNNING = (
    "SELECT id FROM jobs WHERE id IN (SELECT value FROM json_each(?))"
    " AND status = 'running' ORDER BY id LIMIT 1"
)
#: Removed jobs read back as they were, for the plugins that clean up after them.
DELETE_JOBS_RETURNING = (
    f"DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?)) RETURNING {_JOBS}"
)
#: The events of deleted jobs, but those below ``seq`` ?2: the ``deleted`` events just
#: written stay (deleting the log's newest rows would hand their numbers out again).
DELETE_JOB_EVENTS = (
    "DELETE FROM events WHERE job_id IN (SELECT value FROM json_each(?)) AND seq < ?"
)

# -- prune ------------------------------------------------------------------------------

#: Finished jobs old enough to go, a chunk at a time. A batch decides its outcome from
#: all its children: their rows stay while it runs, and while it can be retried
#: (failed or cancelled). The newest job stays too: ids are rowids, and a new job would
#: get the id of a deleted newest one, which the event log still names.
OLD_JOBS = (
    "SELECT id FROM jobs WHERE finished_at < ? AND id < (SELECT max(id) FROM jobs)"
    " AND NOT EXISTS (SELECT 1 FROM jobs AS parent WHERE parent.id = jobs.parent_id"
    " AND parent.status != 'succeeded') LIMIT ?"
)
#: The tags, then the rows, of jobs listed as one JSON array.
DELETE_TAGS = "DELETE FROM job_tags WHERE job_id IN (SELECT value FROM json_each(?))"
DELETE_JOBS = "DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?))"
#: Where old events end: they are written in time order, so they are a prefix of the
#: log. The newest event always stays: seq is a rowid, and an empty table would hand
#: out old numbers again to followers already past them.
OLD_EVENTS_END = (
    "SELECT coalesce((SELECT seq FROM events WHERE at >= ? ORDER BY seq LIMIT 1),"
    " (SELECT max(seq) FROM events), 0)"
)
#: Old events, a chunk at a time.
DELETE_EVENTS = "DELETE FROM events WHERE seq < min(?, (SELECT min(seq) FROM events) + ?)"

# -- copying a queue (``engines/copy.py``) ----------------------------------------------

#: A read transaction: every table is exported from one snapshot of the file.
BEGIN_READ = "BEGIN DEFERRED"
#: A copied table's rows in key order (a parent before its children, events by seq).
EXPORT = {
    table: f"SELECT {', '.join(columns)} FROM {table} ORDER BY {columns[0]}"
    for table, columns in COPIED.items()
}
#: Exported rows written as they were, ids and seq numbers included.
IMPORT = {
    table: f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    for table, columns in COPIED.items()
}
#: What a copy's target already holds, by table: it must hold nothing.
HELD_ROWS = " UNION ALL ".join(
    f"SELECT '{table}', count(*) FROM {table}" for table in ("jobs", "events", "queues")
)

"""Every statement the PostgreSQL engine runs, each named, with why.

Parameters are psycopg's (``%s``, ``%(name)s``), but for ``enqueue_one``'s
(``$n``: libpq's, sent by ``_direct``); lists travel as arrays
(``unnest``), so a statement writes many rows in one round trip. psycopg prepares
a statement on the server after a few runs of the same text, so each text is built
once, at import. Times are POSIX seconds; every transaction reads the server's
clock first (``TX_START``) and stamps its rows with it.
"""

from __future__ import annotations

from .._listing_sql import ListingSql
from ..copy import COPIED

__all__ = ["JOB_COLUMNS"]

#: The columns of a ``Job``, as ``_rows.job`` reads them (by name).
JOB_COLUMNS = (
    "id", "kind", "queue", "status", "payload", "result", "error", "priority", "run_at",
    "attempt", "max_attempts", "timeout", "progress", "progress_message", "parent_id",
    "unique_key", "tags", "handler_version", "created_at", "updated_at", "started_at",
    "finished_at", "lease_until", "run_id", "depends_on", "blockers", "limit_key",
)  # fmt: skip
_JOBS = ", ".join(JOB_COLUMNS)
_JOBS_J = ", ".join(f"j.{c}" for c in JOB_COLUMNS)
_ACTIVE = "('queued', 'running')"

#: A batch parent: started without ever being claimed (a claim also sets ``run_id``).
_BATCH_PARENT = "(run_id IS NULL AND started_at IS NOT NULL)"
#: A job waiting for its children: running, with no attempt of its own out.
_WAITING = "(status = 'running' AND lease_until IS NULL)"
#: Whether another active job holds the key of a finished job ``j`` that becomes active
#: again: then ``j`` is superseded, left out of the one-holder index.
_KEY_TAKEN = (
    "(j.unique_key IS NOT NULL AND EXISTS (SELECT 1 FROM litequeue_jobs AS o"
    " WHERE o.unique_key = j.unique_key AND o.id <> j.id"
    " AND o.status IN ('queued', 'running') AND NOT o.key_superseded))"
)


def _share(done: str, children: str) -> tuple[str, str]:
    """A waiting parent's progress: the share of its children finished, as a
    percentage and as a message such as "2/5 done"."""
    return (
        f"100.0 * ({done}) / greatest({children}, 1)",
        f"({done})::text || '/' || ({children})::text || ' done'",
    )


_FINISHED_SHARE, _FINISHED_MESSAGE = _share("j.children_finished", "j.children")
_ADDED_SHARE, _ADDED_MESSAGE = _share("children_finished", "children + 1")
_ENDED_SHARE, _ENDED_MESSAGE = _share("children_finished + 1", "children")
_LEFT_SHARE, _LEFT_MESSAGE = _share("j.children - k.left_", "j.children")

# -- connection, schema and transactions ------------------------------------------------

#: Every transaction starts by reading the server's clock (one clock for every
#: machine) and the schema version (a newer litequeue that upgraded the database
#: meanwhile stops this one's writes).
TX_START = (
    "SELECT extract(epoch FROM now())::float8 AS now,"
    " (SELECT version FROM litequeue_schema_version) AS version"
)
#: A write transaction's bounds, sent as statements in its pipeline (see
#: ``PostgresStore._attempt``); a failed one is rolled back.
BEGIN = "BEGIN"
COMMIT = "COMMIT"
ROLLBACK = "ROLLBACK"
#: litequeue's connections commit without waiting for the disk (durability "normal").
ASYNC_COMMIT = "SET synchronous_commit = off"
#: Serialises migrations: every process that opens the database takes it, so two
#: upgrading at once apply each migration once (a transaction-level advisory lock).
MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(hashtext('litequeue:migrate'))"
#: The table that holds the schema version, made before the first migration.
CREATE_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS litequeue_schema_version (version integer NOT NULL)"
)
#: Whether the version table exists (reading it where it does not would fail).
VERSION_TABLE_EXISTS = "SELECT to_regclass('litequeue_schema_version') IS NOT NULL AS present"
#: The one row of the version table.
SCHEMA_VERSION = "SELECT version FROM litequeue_schema_version"
#: A new version table starts at 0.
FIRST_VERSION = "INSERT INTO litequeue_schema_version (version) VALUES (0)"
#: Records a migration, in the migration's transaction.
SET_VERSION = "UPDATE litequeue_schema_version SET version = %s"
#: The schema litequeue's unqualified names resolve to: names the notification channel,
#: so queues in two schemas of one database do not wake each other.
CURRENT_SCHEMA = "SELECT current_schema() AS name"
#: Whether a litequeue table the migrations made is missing (a database some tool
#: half-emptied).
JOBS_TABLE_EXISTS = "SELECT to_regclass('litequeue_jobs') IS NOT NULL AS present"

# -- events and notifications -----------------------------------------------------------

#: Event numbers grow in commit order: each transaction takes this lock just before it
#: writes its events (its last statement before COMMIT) and holds it until the commit,
#: so a follower that has read up to ``seq`` never meets a later commit with a lower
#: one. Measured against a commit-order watermark (xid8 and pg_snapshot_xmin): see
#: docs/postgres.md, "Event order".
EVENT_LOCK = "SELECT pg_advisory_xact_lock(hashtext('litequeue:events'))"
#: A transaction's events, in order, in one statement; ``seq`` comes back per row.
INSERT_EVENTS = (
    "INSERT INTO litequeue_events (job_id, type, at, data)"
    " SELECT e.job_id, e.type, %s, e.data"
    " FROM unnest(%s::bigint[], %s::text[], %b::text[]) WITH ORDINALITY"
    " AS e(job_id, type, data, n) ORDER BY e.n RETURNING seq"
)
#: A wake-up for idle workers, sent at commit: PostgreSQL delivers one per channel and
#: payload per transaction, and the store sends one per queue at most.
NOTIFY = "SELECT pg_notify(%s, %s)"


def listen(channel: str) -> str:
    """Subscribes the listening connection (LISTEN takes no parameters: the channel
    is quoted as an identifier by the caller)."""
    return f"LISTEN {channel}"


# -- enqueue ----------------------------------------------------------------------------

#: One job; the unique key, when it has one, is claimed by the partial unique index:
#: of two machines enqueueing one key at once, one inserts and the other gets nothing
#: back (and then reads the holder).
INSERT_JOB = (
    "INSERT INTO litequeue_jobs (kind, queue, status, payload, priority, run_at,"
    " max_attempts, tags, created_at, updated_at, timeout, parent_id, unique_key,"
    " limit_key)"
    " VALUES (%(kind)s, %(queue)s, 'queued', %(payload)s, %(priority)s, %(run_at)s,"
    " %(max_attempts)s, %(tags)s, %(now)s, %(now)s, %(timeout)s, %(parent_id)s,"
    " %(unique_key)s, %(limit_key)s)"
    " ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL"
    " AND status IN ('queued', 'running') AND NOT key_superseded DO NOTHING RETURNING id"
)


def enqueue_one(version: int, channel: str, *, tagged_or_keyed: bool) -> str:
    """One job in one round trip, called in autocommit (the function of migrations
    0009 and 0012): the job, its tags, its event under the event lock and the wake-up commit as
    this statement's transaction. The schema version the caller knows and the channel
    (a quoted literal) are the store's for its lifetime, so they are written into the
    text, which each connection prepares once; a job without tags or a unique key
    leaves those three arguments to the function's defaults, and the tags' list is
    read from their JSON, so the statement takes scalars only (``$n``, the types
    ``_store`` declares for them: sent through libpq, not psycopg's cursor)."""
    extra = (
        ", $11, (SELECT array_agg(t) FROM json_array_elements_text($11::json) AS t), $12"
        if tagged_or_keyed
        else ""
    )
    return (
        "SELECT schema_version, server_now, due_at, new_id, event_seq FROM litequeue_enqueue("
        f"{int(version)}, {channel}, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10{extra})"
    )


#: Jobs that differ only in their payloads, one statement for the lot (the payloads
#: as an array of JSON texts, inserted in order).
INSERT_RUN = (
    "INSERT INTO litequeue_jobs (kind, queue, status, payload, priority, run_at,"
    " max_attempts, timeout, tags, created_at, updated_at)"
    " SELECT %s, %s, 'queued', p.payload, %s, %s, %s, %s, %s, %s, %s"
    " FROM unnest(%b::text[]) WITH ORDINALITY AS p(payload, n) ORDER BY p.n"
    " RETURNING id"
)
#: A job's tags, in the table that ``jobs(tag=...)`` and ``stats(tag=...)`` search.
INSERT_TAGS = (
    "INSERT INTO litequeue_job_tags (tag, job_id)"
    " SELECT * FROM unnest(%s::text[], %s::bigint[]) ON CONFLICT DO NOTHING"
)
#: The active job holding a unique key: an enqueue with that key returns it instead.
#: That is the newest active job with the key, superseded or not (as on SQLite): one
#: put back while another held the key holds it again once that one has finished.
KEY_HOLDER = (
    f"SELECT {_JOBS} FROM litequeue_jobs WHERE unique_key = %s"
    f" AND status IN {_ACTIVE} ORDER BY id DESC LIMIT 1"
)
#: ``force=True``: the active holder of a key hands it to the job about to be inserted.
SUPERSEDE_KEY = (
    "UPDATE litequeue_jobs SET key_superseded = true WHERE unique_key = %s"
    f" AND status IN {_ACTIVE} AND NOT key_superseded"
)
#: One more child for an active parent (no row back: it has finished, or never was).
ADD_CHILD = (
    "UPDATE litequeue_jobs SET children = children + 1, updated_at = %s,"
    f" progress = CASE WHEN {_WAITING} THEN {_ADDED_SHARE} ELSE progress END,"
    f" progress_message = CASE WHEN {_WAITING} THEN {_ADDED_MESSAGE}"
    " ELSE progress_message END"
    f" WHERE id = %s AND status IN {_ACTIVE} RETURNING id"
)
#: A batch parent starts waiting at once: it runs no handler of its own.
START_BATCH = (
    "UPDATE litequeue_jobs SET status = 'running', started_at = %s, updated_at = %s WHERE id = %s"
)
#: Whether a job is a batch parent (a unique key held by another job refuses a batch).
IS_BATCH = f"SELECT {_BATCH_PARENT} AS batch FROM litequeue_jobs WHERE id = %s"

# -- claim and finish -------------------------------------------------------------------

#: A queue with a concurrency limit is claimed from one transaction at a time: its
#: settings row is locked first, so the claim that follows (a new statement, a new
#: snapshot) counts every running job that claims committed before it. A queue with
#: no limit has no row to lock here, and its claims run side by side.
LOCK_LIMITED_QUEUE = (
    "SELECT concurrency_limit FROM litequeue_queues"
    " WHERE name = %s AND concurrency_limit IS NOT NULL FOR UPDATE"
)
_KINDS = "(%(kinds)s::text[] IS NULL OR {kind} = ANY(%(kinds)s::text[]))"


def _due_along(keyed: bool, columns: str, limit: str, lock: str = "") -> str:
    """A queue's due jobs with no dependency left, of the kinds asked for, without a
    key (along ``litequeue_jobs_claimable``) or with one (along
    ``litequeue_jobs_keyed_claimable``): the first ``limit`` in claim order."""
    return (
        f"SELECT {columns} FROM litequeue_jobs WHERE status = 'queued'"
        f" AND limit_key IS {'NOT NULL' if keyed else 'NULL'} AND queue = %(queue)s"
        f" AND run_at <= %(now)s AND blockers = 0 AND {_KINDS.format(kind='kind')}"
        f" ORDER BY priority DESC, run_at, id LIMIT {limit}{lock}"
    )


def _due(columns: str, limit: str, lock: str = "") -> str:
    """``_due_along`` of the unkeyed and of the keyed jobs, side by side (to be merged
    in claim order)."""
    return " UNION ALL ".join(
        f"SELECT * FROM ({_due_along(keyed, columns, limit, lock)}) AS {arm}"
        for keyed, arm in ((False, "u"), (True, "k"))
    )


#: How many a claim may start (its ``allowed`` CTE); rows another claim has locked
#: left for it.
_ALLOWED_N, _SKIP_LOCKED = "(SELECT n FROM allowed)", " FOR UPDATE SKIP LOCKED"
#: A claimed job's new attempt (``j``): running, leased, started now; a new run starts
#: clean (an earlier run's error and progress stay in the event log only).
_START_ATTEMPT = (
    " UPDATE litequeue_jobs AS j SET status = 'running', attempt = j.attempt + 1,"
    " run_id = nextval('litequeue_run_ids'), worker = %(worker)s,"
    " lease_until = %(lease_until)s, started_at = %(now)s, updated_at = %(now)s,"
    " progress = 0, progress_message = NULL, error = NULL"
)
#: The claim, one statement: the best due jobs of a queue, of the kinds asked for
#: (NULL: any), as many as wanted and as the queue allows (none when paused; within
#: its limit of running jobs), skipping rows another claim has locked.
CLAIM = (
    "WITH allowed AS ("
    " SELECT CASE WHEN q.paused THEN 0 WHEN q.concurrency_limit IS NULL THEN %(wanted)s"
    " ELSE greatest(0, least(%(wanted)s, q.concurrency_limit - (SELECT count(*)"
    " FROM litequeue_jobs WHERE status = 'running' AND queue = %(queue)s"
    " AND lease_until IS NOT NULL))) END AS n"
    " FROM (SELECT %(queue)s::text AS name) AS w"
    " LEFT JOIN litequeue_queues AS q USING (name)),"
    # The unkeyed and the keyed due jobs, each along its claim-order index, merged.
    f" picked AS (SELECT id FROM ({_due('id, priority, run_at', _ALLOWED_N, _SKIP_LOCKED)})"
    f" AS c ORDER BY priority DESC, run_at, id LIMIT {_ALLOWED_N}){_START_ATTEMPT}"
    # By id, from an array: a join with the CTE (whose size the planner cannot know
    # from a LIMIT parameter) may be planned as a hash of the whole table.
    f" WHERE j.id = ANY(ARRAY(SELECT id FROM picked)) RETURNING {_JOBS_J}"
)
#: The worker's claim in one call, with the successes it reports (the function of
#: migration 0008): one wait for the server where the statements one by one
#: took six. A row per claimed job (``JOB_COLUMNS``), the first also with what the call
#: did. SQLSTATE ``CLAIM_DEFERRED`` (before anything stays) when the job lifecycle must
#: decide, and the store's general path runs instead. The successes' arrays go in the
#: binary format: the text form looks for what to escape in every element with a
#: regular expression (every JSON text's quotes, in the results).
CLAIM_AT_ONCE = (
    "SELECT * FROM litequeue_claim(%(worker)s, %(queues)s::text[], %(kinds)s::text[],"
    " %(wanted)s, %(lease)s, %(ids)b::bigint[], %(runs)b::bigint[], %(results)b::text[],"
    " %(versions)b::text[], %(schema)s, %(channel)s)"
)
#: Raised by ``litequeue_claim`` for what only the general path handles: a lease to
#: take back, or a success of a job with a parent or children.
CLAIM_DEFERRED = "LQ001"
#: Attempts whose lease ran out (their worker died or stalled), taken back in the
#: claiming transaction; rows another transaction is taking back are skipped.
EXPIRED = (
    "SELECT id, attempt, max_attempts, run_id FROM litequeue_jobs"
    " WHERE status = 'running' AND lease_until < %s FOR UPDATE SKIP LOCKED"
)
#: Successes, fenced by run id and lease, in one statement. A job that took children
#: keeps running, without a lease, and its children decide how it ends.
SUCCEED = (
    "UPDATE litequeue_jobs AS j SET"
    " status = CASE WHEN j.children > 0 THEN 'running' ELSE 'succeeded' END,"
    " result = o.result, handler_version = o.version,"
    " error = NULL, lease_until = NULL, worker = NULL,"
    f" progress = CASE WHEN j.children > 0 THEN {_FINISHED_SHARE} ELSE 100 END,"
    f" progress_message = CASE WHEN j.children > 0 THEN {_FINISHED_MESSAGE}"
    " ELSE j.progress_message END,"
    " finished_at = CASE WHEN j.children > 0 THEN NULL ELSE %(now)s END,"
    " updated_at = %(now)s"
    " FROM unnest(%(ids)s::bigint[], %(runs)s::bigint[], %(results)s::text[],"
    " %(versions)s::text[]) AS o(id, run_id, result, version)"
    " WHERE j.id = o.id AND j.run_id = o.run_id"
    " AND j.status = 'running' AND j.lease_until >= %(now)s"
    " RETURNING j.id, j.run_id, j.status, j.parent_id, j.attempt,"
    " j.children_finished >= j.children AS children_done, j.has_dependants"
)


def _fenced(set_clause: str, expired: bool) -> str:
    """An update of an attempt's job, only while that attempt holds it: its run id,
    and (unless its lease is known to have run out) a lease not yet run out."""
    fence = "id = %(id)s AND run_id = %(run_id)s AND status = 'running' AND lease_until IS NOT NULL"
    if not expired:
        fence += " AND lease_until >= %(now)s"
    return (
        f"UPDATE litequeue_jobs SET {set_clause} WHERE {fence} RETURNING status, parent_id, attempt"
    )


#: A stopping worker's hand-back: back to the queue even from its last attempt (the
#: attempt stays counted). By ``expired``.
RELEASE = {
    expired: _fenced(
        "status = 'queued', error = %(error)s, lease_until = NULL, worker = NULL,"
        " run_at = %(now)s, updated_at = %(now)s",
        expired,
    )
    for expired in (False, True)
}
#: A failed attempt: back to the queue at ``retry_at`` while attempts are left, else
#: failed. By ``expired``.
FAIL = {
    expired: _fenced(
        "status = CASE WHEN %(retry_at)s::float8 IS NOT NULL AND attempt < max_attempts"
        " THEN 'queued' ELSE 'failed' END, error = %(error)s, lease_until = NULL,"
        " worker = NULL, handler_version = coalesce(%(version)s, handler_version),"
        " run_at = coalesce(%(retry_at)s, run_at),"
        " finished_at = CASE WHEN %(retry_at)s::float8 IS NOT NULL"
        " AND attempt < max_attempts THEN NULL ELSE %(now)s END, updated_at = %(now)s",
        expired,
    )
    for expired in (False, True)
}
#: An attempt that ended cancelled (its handler raised ``Cancel``). By ``expired``.
CANCEL_ATTEMPT = {
    expired: _fenced(
        "status = 'cancelled', error = %(error)s, lease_until = NULL, worker = NULL,"
        " finished_at = %(now)s, updated_at = %(now)s",
        expired,
    )
    for expired in (False, True)
}
#: A child of an active parent ended: the parent's progress moves on.
CHILD_ENDED = (
    "UPDATE litequeue_jobs SET children_finished = children_finished + 1,"
    f" progress = {_ENDED_SHARE}, progress_message = {_ENDED_MESSAGE},"
    f" updated_at = %s WHERE id = %s AND status IN {_ACTIVE}"
    " RETURNING status, lease_until, children, children_finished, progress,"
    " progress_message"
)
#: How many of a parent's children did not succeed: whether it fails.
UNSUCCESSFUL_CHILDREN = (
    "SELECT count(*) AS n FROM litequeue_jobs WHERE parent_id = %s AND status <> 'succeeded'"
)
#: A job that waited for its children ends, as they decided.
END_PARENT = (
    "UPDATE litequeue_jobs SET status = %s, error = coalesce(%s, error), progress = 100,"
    " finished_at = %s, updated_at = %s WHERE id = %s RETURNING parent_id"
)
#: When the next delayed job of the queues (and kinds, NULL for any) becomes due, in
#: seconds from the server's now (the caller adds its own clock). Jobs due already and
#: not claimed are held by what a commit changes (a pause, a limit, a dependency).
NEXT_RUN_AT = (
    "SELECT min(run_at) - extract(epoch FROM now())::float8 AS due FROM litequeue_jobs"
    " WHERE status = 'queued' AND queue = ANY(%s::text[])"
    " AND run_at > extract(epoch FROM now())::float8 AND blockers = 0"
    " AND (%s::text[] IS NULL OR kind = ANY(%s::text[]))"
)
#: When the next lease runs out, from the server's now: a worker then takes it back.
NEXT_LEASE_END = (
    "SELECT min(lease_until) - extract(epoch FROM now())::float8 AS due FROM litequeue_jobs"
    " WHERE status = 'running' AND lease_until IS NOT NULL"
)
#: Leases extended by attempt (job id and run id), not by worker name: two workers
#: given one name must not keep each other's jobs leased.
HEARTBEAT = (
    "UPDATE litequeue_jobs AS j SET lease_until = %s"
    " FROM unnest(%s::bigint[], %s::bigint[]) AS a(id, run_id)"
    " WHERE j.id = a.id AND j.run_id = a.run_id AND j.status = 'running'"
    " AND j.lease_until IS NOT NULL RETURNING j.id, j.run_id"
)
#: A running attempt's progress; nothing when the attempt no longer holds its job.
PROGRESS = (
    "UPDATE litequeue_jobs SET progress = coalesce(%(progress)s, progress),"
    " progress_message = coalesce(%(message)s, progress_message), updated_at = %(now)s"
    " WHERE id = %(id)s AND run_id = %(run_id)s AND status = 'running'"
    " AND lease_until >= %(now)s RETURNING progress, progress_message"
)
#: Whether an attempt still holds its job (a lost attempt's log lines are dropped).
ATTEMPT_HOLDS = (
    "SELECT 1 AS held FROM litequeue_jobs WHERE id = %s AND run_id = %s AND status = 'running'"
)

# -- changes by hand --------------------------------------------------------------------

#: The unfinished children of a job: cancelled with it.
ACTIVE_CHILDREN = (
    f"SELECT id FROM litequeue_jobs WHERE parent_id = %s AND status IN {_ACTIVE} ORDER BY id"
)
#: A queued or running job cancelled, by request or for a dependency (the error says
#: which).
CANCEL_JOB = (
    "UPDATE litequeue_jobs SET status = 'cancelled', error = %s, lease_until = NULL,"
    " worker = NULL, finished_at = %s, updated_at = %s WHERE id = %s"
    f" AND status IN {_ACTIVE} RETURNING parent_id"
)
#: A finished job queued again, with a fresh budget of attempts, as if never run. While
#: another active job holds its key, it is left out of the one-holder index (superseded).
REQUEUE = (
    "UPDATE litequeue_jobs AS j SET status = 'queued', attempt = 0, run_at = %s,"
    " error = NULL, started_at = NULL, finished_at = NULL, updated_at = %s, progress = 0,"
    f" progress_message = NULL, key_superseded = {_KEY_TAKEN} WHERE j.id = %s"
)
#: The children a retried parent puts back: those that failed or were cancelled.
CHILDREN_TO_RETRY = (
    "SELECT id, status FROM litequeue_jobs WHERE parent_id = %s"
    " AND status IN ('failed', 'cancelled') ORDER BY id"
)
#: A retried parent counts as finished the children that stay finished.
COUNT_KEPT_CHILDREN = (
    "UPDATE litequeue_jobs AS j SET children_finished = j.children - (SELECT count(*)"
    " FROM litequeue_jobs AS child WHERE child.parent_id = j.id AND child.status IN"
    " ('queued', 'running', 'failed', 'cancelled')) WHERE j.id = %s"
)
#: Whether what is left of a job is waiting for its children.
WAITS_FOR_CHILDREN = (
    f"SELECT children > 0 AND ({_BATCH_PARENT} OR result IS NOT NULL) AS waits"
    " FROM litequeue_jobs WHERE id = %s"
)
#: A finished parent waits for its children again (superseded, as ``REQUEUE``).
REOPEN = (
    "UPDATE litequeue_jobs AS j SET status = 'running', error = NULL, lease_until = NULL,"
    f" finished_at = NULL, updated_at = %s, key_superseded = {_KEY_TAKEN} WHERE j.id = %s"
)
#: A parent's status and its own parent: whether a child put back reopens it.
STATUS_AND_PARENT = "SELECT status, parent_id FROM litequeue_jobs WHERE id = %s"
#: A waiting parent's finished children counted from their rows.
RECOUNT = (
    "UPDATE litequeue_jobs AS j SET children_finished = j.children - k.left_,"
    f" progress = {_LEFT_SHARE}, progress_message = {_LEFT_MESSAGE}, updated_at = %(now)s"
    " FROM (SELECT count(*) AS left_ FROM litequeue_jobs WHERE parent_id = %(id)s"
    f" AND status IN {_ACTIVE}) AS k"
    f" WHERE j.id = %(id)s AND j.status IN {_ACTIVE}"
    " RETURNING j.children, j.children_finished,"
    " j.status = 'running' AND j.lease_until IS NULL AS waiting"
)

# -- dependencies -----------------------------------------------------------------------

#: The statuses of these jobs: what a new dependant waits for.
STATUSES = "SELECT id, status FROM litequeue_jobs WHERE id = ANY(%s::bigint[])"
#: The edges from a new job to the jobs it depends on.
ADD_DEPENDENCIES = (
    "INSERT INTO litequeue_job_dependencies (depends_on, job_id)"
    " SELECT d, %s FROM unnest(%s::bigint[]) AS d ON CONFLICT DO NOTHING"
)
#: Jobs that others depend on: their success releases them (see ``SUCCEED``).
MARK_DEPENDED_ON = "UPDATE litequeue_jobs SET has_dependants = true WHERE id = ANY(%s::bigint[])"
#: A new dependant's own list, and how many of them it waits for.
SET_DEPENDENCIES = "UPDATE litequeue_jobs SET depends_on = %s, blockers = %s WHERE id = %s"
#: A job succeeded: the queued jobs that depend on it wait for one fewer.
RELEASE_DEPENDANTS = (
    "UPDATE litequeue_jobs SET blockers = blockers - 1, updated_at = %s WHERE id IN"
    " (SELECT job_id FROM litequeue_job_dependencies WHERE depends_on = %s)"
    " AND status = 'queued' AND blockers > 0"
)
#: The queued jobs that depend on a job: cancelled when it fails or is cancelled.
QUEUED_DEPENDANTS = (
    "SELECT d.job_id FROM litequeue_job_dependencies AS d JOIN litequeue_jobs AS j"
    " ON j.id = d.job_id WHERE d.depends_on = %s AND j.status = 'queued' ORDER BY d.job_id"
)
#: A job put back waits again for those of its dependencies that have not succeeded.
SET_BLOCKERS = "UPDATE litequeue_jobs SET blockers = %s WHERE id = %s"
#: The edges of deleted jobs.
DELETE_DEPENDENCIES = (
    "DELETE FROM litequeue_job_dependencies WHERE job_id = ANY(%(ids)s::bigint[])"
    " OR depends_on = ANY(%(ids)s::bigint[])"
)

# -- flow control -------------------------------------------------------------------------

#: A queue's flow-control settings: whether its claim is ``CLAIM_LIMITED``.
QUEUE_LIMITS = (
    "SELECT rate_count, rate_period, key_rate_count, key_rate_period, per_key_limit"
    " FROM litequeue_queues WHERE name = %s"
)
#: Claims of a queue with a rate or per-key limits run one transaction at a time: the
#: claim that follows (a new statement, a new snapshot) counts every start and running
#: job that earlier claims committed, on every machine.
LOCK_QUEUE = "SELECT name FROM litequeue_queues WHERE name = %s FOR UPDATE"
#: Whether a job's key has room to start one more (``{key}``): its running jobs under
#: ``per_key_limit``, its starts in the per-key window under the per-key rate.
_KEY_ROOM = (
    "(%(key_limit)s::bigint IS NULL OR (SELECT count(*) FROM litequeue_jobs AS r"
    " WHERE r.status = 'running' AND r.queue = %(queue)s AND r.limit_key = {key}"
    " AND r.lease_until IS NOT NULL) < %(key_limit)s::bigint)"
    " AND (%(key_count)s::bigint IS NULL OR (SELECT count(*) FROM litequeue_key_starts AS s"
    " WHERE s.queue = %(queue)s AND s.limit_key = {key}"
    " AND s.at > %(now)s - %(key_period)s::float8) < %(key_count)s::bigint)"
)
#: How many a limited claim may start: as many as wanted, within the queue's limit of
#: running jobs and its rate; none when paused.
_LIMITED_ALLOWED = (
    "WITH q AS (SELECT * FROM litequeue_queues WHERE name = %(queue)s),"
    " allowed AS (SELECT CASE WHEN q.paused THEN 0 ELSE greatest(0, least(%(wanted)s,"
    " CASE WHEN q.concurrency_limit IS NULL THEN %(wanted)s ELSE q.concurrency_limit"
    " - (SELECT count(*) FROM litequeue_jobs WHERE status = 'running'"
    " AND queue = %(queue)s AND lease_until IS NOT NULL) END,"
    " CASE WHEN q.rate_count IS NULL THEN %(wanted)s ELSE q.rate_count - q.rate_used END))"
    " END AS n FROM q),"
)
#: The jobs picked, locked (one that another transaction holds is left), and started;
#: found by their ids (as an array: a join to them was planned, from statistics taken
#: while few jobs were queued, as a walk of every queued job that picked them again
#: for each).
_START_PICKED = (
    " locked AS (SELECT j.id FROM litequeue_jobs AS j"
    " WHERE j.id = ANY(ARRAY(SELECT id FROM picked))"
    f" AND coalesce(j.status, '') = 'queued'{_SKIP_LOCKED}){_START_ATTEMPT}"
    f" WHERE j.id = ANY(ARRAY(SELECT id FROM locked)) RETURNING {_JOBS_J}"
)
#: The claim of a queue with a rate or per-key limits (see the SQLite engine's
#: ``CLAIM_LIMITED``): the queue's limit and rate cap how many go; while it has per-key
#: settings, a keyed job goes only while its key has room, and only as its key's
#: first due job (at most one per key per statement). It looks at the first
#: ``window`` due jobs in claim order (and in that order, with no sort of its own,
#: which would look at all of them, only as far as it takes jobs); when they give
#: fewer than wanted, ``CLAIM_BY_KEY`` walks the keys.
CLAIM_LIMITED = (
    _LIMITED_ALLOWED
    + f" seen AS (SELECT * FROM ({_due('id, limit_key, priority, run_at', '%(window)s')})"
    " AS w ORDER BY priority DESC, run_at, id LIMIT %(window)s),"
    " picked AS (SELECT c.id FROM seen AS c WHERE c.limit_key IS NULL"
    " OR (%(key_limit)s::bigint IS NULL AND %(key_count)s::bigint IS NULL)"
    " OR (c.id = (SELECT e.id FROM litequeue_jobs AS e WHERE e.status = 'queued'"
    " AND e.queue = %(queue)s AND e.limit_key = c.limit_key AND e.run_at <= %(now)s"
    " AND e.blockers = 0 ORDER BY e.limit_key, e.priority DESC, e.run_at, e.id LIMIT 1)"
    f" AND {_KEY_ROOM.format(key='c.limit_key')})"
    " LIMIT (SELECT n FROM allowed))," + _START_PICKED
)
_FIRST_OF_KEY = (
    " CROSS JOIN LATERAL (SELECT e.limit_key, e.id, e.priority, e.run_at, e.blockers, e.kind"
    " FROM litequeue_jobs AS e WHERE e.status = 'queued' AND e.queue = %(queue)s"
)
#: ``CLAIM_LIMITED`` of a queue with per-key settings, walking keys rather than jobs:
#: each key's first queued job (from one key to the next along
#: ``litequeue_jobs_key_queued``, a skip scan), or its first due one when that one is
#: not, beside the queue's first due jobs without a key (along
#: ``litequeue_jobs_claimable``), in claim order, taken while their keys have
#: room (looked at in that order, as far as needed: ``OFFSET 0`` keeps the look out of
#: the sort's input). What it reads grows with the queue's keys and what it hands
#: out, not with the backlog of a key at its limit.
CLAIM_BY_KEY = (
    "WITH RECURSIVE "
    + _LIMITED_ALLOWED.removeprefix("WITH ")
    + " firsts AS ((SELECT e.limit_key AS k, e.id, e.priority, e.run_at, e.blockers, e.kind"
    " FROM litequeue_jobs AS e WHERE e.status = 'queued' AND e.queue = %(queue)s"
    " AND e.limit_key IS NOT NULL"
    " ORDER BY e.limit_key, e.priority DESC, e.run_at, e.id LIMIT 1)"
    f" UNION ALL SELECT n.* FROM firsts AS f{_FIRST_OF_KEY}"
    " AND e.limit_key > f.k"
    " ORDER BY e.limit_key, e.priority DESC, e.run_at, e.id LIMIT 1) AS n),"
    " heads AS (SELECT f.id, f.k, f.priority, f.run_at, f.kind FROM firsts AS f"
    " WHERE f.run_at <= %(now)s AND f.blockers = 0"
    " UNION ALL SELECT h.id, h.limit_key, h.priority, h.run_at, h.kind"
    f" FROM firsts AS f{_FIRST_OF_KEY}"
    " AND e.limit_key = f.k AND e.run_at <= %(now)s AND e.blockers = 0"
    " ORDER BY e.limit_key, e.priority DESC, e.run_at, e.id LIMIT 1) AS h"
    " WHERE NOT (f.run_at <= %(now)s AND f.blockers = 0)),"
    f" unkeyed AS ({_due_along(False, 'id, limit_key AS k, priority, run_at', '%(wanted)s')}),"
    " picked AS (SELECT c.id FROM (SELECT h.id, h.k, h.priority, h.run_at FROM heads AS h"
    f" WHERE {_KINDS.format(kind='h.kind')} UNION ALL SELECT * FROM unkeyed"
    " ORDER BY priority DESC, run_at, id OFFSET 0) AS c"
    f" WHERE c.k IS NULL OR ({_KEY_ROOM.format(key='c.k')})"
    " LIMIT (SELECT n FROM allowed))," + _START_PICKED
)
#: Claims counted by the queue's rate, and its count of them (one statement).
RECORD_STARTS = (
    "WITH added AS (INSERT INTO litequeue_starts (queue, at)"
    " SELECT %(queue)s, %(now)s FROM generate_series(1, %(count)s) RETURNING 1)"
    " UPDATE litequeue_queues SET rate_used = rate_used + (SELECT count(*) FROM added)"
    " WHERE name = %(queue)s"
)
#: Claims of keyed jobs counted by the per-key rate.
RECORD_KEY_STARTS = (
    "INSERT INTO litequeue_key_starts (queue, limit_key, at)"
    " SELECT %s, k, %s FROM unnest(%s::text[]) AS k WHERE k IS NOT NULL"
)
#: Starts that the queue's window no longer counts, and its count of them (before a
#: claim reads ``rate_used``; each row is deleted once).
FORGET_STARTS = (
    "WITH gone AS (DELETE FROM litequeue_starts WHERE queue = %(queue)s"
    " AND at <= %(before)s RETURNING 1)"
    " UPDATE litequeue_queues SET rate_used = rate_used - (SELECT count(*) FROM gone)"
    " WHERE name = %(queue)s"
)
FORGET_KEY_STARTS = "DELETE FROM litequeue_key_starts WHERE queue = %s AND at <= %s"
#: The starts of a queue whose rate was removed, and its count of them, counted again
#: from the rows (also when its rate changes).
CLEAR_STARTS = "DELETE FROM litequeue_starts WHERE queue = %s"
CLEAR_KEY_STARTS = "DELETE FROM litequeue_key_starts WHERE queue = %s"
RECOUNT_RATE_USED = (
    "UPDATE litequeue_queues SET rate_used = (SELECT count(*) FROM litequeue_starts"
    " WHERE queue = %(name)s) WHERE name = %(name)s"
)
#: When a rate window of these queues next lets a start out (the oldest start it
#: counts, plus its length), in seconds from the server's now.
NEXT_WINDOW = (
    "SELECT min(t) - extract(epoch FROM now())::float8 AS due FROM ("
    "SELECT min(s.at) + q.rate_period AS t FROM litequeue_starts AS s"
    " JOIN litequeue_queues AS q ON q.name = s.queue WHERE s.queue = ANY(%(queues)s::text[])"
    " AND q.rate_count IS NOT NULL"
    " AND s.at > extract(epoch FROM now())::float8 - q.rate_period GROUP BY s.queue,"
    " q.rate_period UNION ALL SELECT min(s.at) + q.key_rate_period FROM litequeue_key_starts AS s"
    " JOIN litequeue_queues AS q ON q.name = s.queue WHERE s.queue = ANY(%(queues)s::text[])"
    " AND q.key_rate_count IS NOT NULL"
    " AND s.at > extract(epoch FROM now())::float8 - q.key_rate_period"
    " GROUP BY s.queue, q.key_rate_period) AS w"
)
#: How many of these queues let no job start now, whatever is enqueued: paused, or with
#: as many starts in their rate's window as it allows (``rate_used`` less the starts
#: that left the window: few, since every limited claim deletes them first).
QUEUES_HELD = (
    "SELECT count(*) AS held FROM litequeue_queues AS q"
    " WHERE q.name = ANY(%(queues)s::text[]) AND (q.paused OR (q.rate_used >= q.rate_count"
    " AND q.rate_used - (SELECT count(*) FROM litequeue_starts AS s WHERE s.queue = q.name"
    " AND s.at <= extract(epoch FROM now())::float8 - q.rate_period) >= q.rate_count))"
)
#: Whether any of these queues caps its running jobs: a concurrency or per-key limit.
QUEUES_CAPPED = (
    "SELECT EXISTS (SELECT 1 FROM litequeue_queues WHERE name = ANY(%(queues)s::text[])"
    " AND (concurrency_limit IS NOT NULL OR per_key_limit IS NOT NULL)) AS capped"
)
#: Whether due jobs of these queues (and kinds), with no dependency left, wait in a
#: queue that is not paused and has a rate or per-key limits; not a keyed job behind a
#: due job of its key of a kind not listed (the caller will never start that one).
HELD_BACK = (
    "SELECT EXISTS (SELECT 1 FROM litequeue_jobs AS j JOIN litequeue_queues AS q"
    " ON q.name = j.queue WHERE j.status = 'queued' AND j.queue = ANY(%(queues)s::text[])"
    " AND j.run_at <= extract(epoch FROM now())::float8 AND j.blockers = 0 AND NOT q.paused"
    " AND (%(kinds)s::text[] IS NULL OR j.kind = ANY(%(kinds)s::text[]))"
    " AND (q.rate_count IS NOT NULL OR q.key_rate_count IS NOT NULL"
    " OR q.per_key_limit IS NOT NULL)"
    " AND NOT (j.limit_key IS NOT NULL AND %(kinds)s::text[] IS NOT NULL"
    " AND (q.key_rate_count IS NOT NULL OR q.per_key_limit IS NOT NULL)"
    " AND EXISTS (SELECT 1 FROM litequeue_jobs AS e WHERE e.status = 'queued'"
    " AND e.queue = j.queue AND e.limit_key = j.limit_key"
    " AND e.run_at <= extract(epoch FROM now())::float8 AND e.blockers = 0"
    " AND NOT e.kind = ANY(%(kinds)s::text[]) AND (e.priority > j.priority"
    " OR (e.priority = j.priority AND (e.run_at < j.run_at"
    " OR (e.run_at = j.run_at AND e.id < j.id))))))) AS held"
)

# -- schedules ------------------------------------------------------------------------------

_SCHEDULE = (
    "name, kind, cron, payload, timezone, queue, catch_up, paused, created_at, next_slot, last_slot"
)
#: A schedule stored or changed: a changed cron or time zone starts its slots anew;
#: otherwise it keeps its place and pause.
SAVE_SCHEDULE = (
    f"INSERT INTO litequeue_schedules ({_SCHEDULE}) VALUES (%(name)s, %(kind)s, %(cron)s,"
    " %(payload)s, %(timezone)s, %(queue)s, %(catch_up)s, false, %(now)s, %(next_slot)s,"
    " NULL) ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind,"
    " payload = EXCLUDED.payload, queue = EXCLUDED.queue, catch_up = EXCLUDED.catch_up,"
    " next_slot = CASE WHEN litequeue_schedules.cron = EXCLUDED.cron"
    " AND litequeue_schedules.timezone = EXCLUDED.timezone"
    " THEN litequeue_schedules.next_slot ELSE EXCLUDED.next_slot END,"
    " cron = EXCLUDED.cron, timezone = EXCLUDED.timezone"
)
SCHEDULE = f"SELECT {_SCHEDULE} FROM litequeue_schedules WHERE name = %s"
SCHEDULES = f"SELECT {_SCHEDULE} FROM litequeue_schedules ORDER BY name"
#: Paused or resumed; a resumed schedule's next slot is given (the missed ones pass).
SET_SCHEDULE_PAUSED = (
    "UPDATE litequeue_schedules SET paused = %s, next_slot = coalesce(%s, next_slot)"
    " WHERE name = %s RETURNING name"
)
REMOVE_SCHEDULE = "DELETE FROM litequeue_schedules WHERE name = %s RETURNING name"
#: The unpaused schedules of these queues whose next slot has passed, locked against
#: other schedulers (one that holds a schedule moves it on before it commits).
DUE_SCHEDULES = (
    "SELECT name, kind, cron, payload, timezone, queue, catch_up, next_slot"
    " FROM litequeue_schedules WHERE NOT paused AND queue = ANY(%s::text[])"
    " AND next_slot <= %s ORDER BY name FOR UPDATE SKIP LOCKED"
)
#: When the next slot of an unpaused schedule of these queues comes.
NEXT_SLOT = (
    "SELECT min(next_slot) AS slot FROM litequeue_schedules"
    " WHERE NOT paused AND queue = ANY(%s::text[])"
)
#: A schedule moved on past the slots just handled.
ADVANCE_SCHEDULE = (
    "UPDATE litequeue_schedules SET next_slot = %s, last_slot = coalesce(%s, last_slot)"
    " WHERE name = %s"
)

# -- queue settings ---------------------------------------------------------------------

#: A queue's settings row, made on its first change.
ADD_QUEUE = "INSERT INTO litequeue_queues (name) VALUES (%s) ON CONFLICT DO NOTHING"
SET_LIMIT = "UPDATE litequeue_queues SET concurrency_limit = %s WHERE name = %s"
SET_PAUSED = "UPDATE litequeue_queues SET paused = %s WHERE name = %s"
SET_RATE = "UPDATE litequeue_queues SET rate_count = %s, rate_period = %s WHERE name = %s"
SET_KEY_RATE = (
    "UPDATE litequeue_queues SET key_rate_count = %s, key_rate_period = %s WHERE name = %s"
)
SET_PER_KEY_LIMIT = "UPDATE litequeue_queues SET per_key_limit = %s WHERE name = %s"
_SETTINGS = (
    "name, concurrency_limit, paused, rate_count, rate_period, key_rate_count,"
    " key_rate_period, per_key_limit"
)
QUEUE_SETTINGS = f"SELECT {_SETTINGS} FROM litequeue_queues WHERE name = %s"
#: Every queue with settings or jobs (one with jobs only has the default settings).
QUEUES = (
    f"SELECT {_SETTINGS} FROM litequeue_queues UNION"
    " SELECT DISTINCT queue, NULL::bigint, false, NULL::bigint, NULL::float8, NULL::bigint,"
    " NULL::float8, NULL::bigint FROM litequeue_jobs"
    " WHERE queue NOT IN (SELECT name FROM litequeue_queues) ORDER BY 1"
)

# -- workers ----------------------------------------------------------------------------

#: A running worker's record, made or renewed (what it serves may change).
WORKER_ALIVE = (
    "INSERT INTO litequeue_workers (name, queues, kinds, started_at, expires_at, seen_at)"
    " VALUES (%(name)s, %(queues)s, %(kinds)s, %(now)s, %(until)s, %(now)s)"
    " ON CONFLICT (name) DO UPDATE SET queues = %(queues)s, kinds = %(kinds)s,"
    " expires_at = %(until)s, seen_at = %(now)s"
)
#: A stopped worker's record, and any that ran out long ago.
WORKER_GONE = "DELETE FROM litequeue_workers WHERE name = %s OR expires_at < %s"
#: The workers whose records have not run out, each with the running jobs it holds.
WORKERS = (
    "SELECT name, queues, kinds, started_at, coalesce(seen_at, started_at) AS seen_at,"
    " (SELECT count(*) FROM litequeue_jobs WHERE status = 'running'"
    " AND lease_until IS NOT NULL AND worker = w.name) AS holding"
    " FROM litequeue_workers AS w WHERE expires_at >= extract(epoch FROM now()) ORDER BY name"
)
#: Queued jobs by queue and kind: those no live worker would claim are shown.
QUEUED_BY_KIND = (
    "SELECT queue, kind, count(*) AS n FROM litequeue_jobs WHERE status = 'queued'"
    " GROUP BY queue, kind"
)

# -- reads ------------------------------------------------------------------------------

GET_JOB = f"SELECT {_JOBS} FROM litequeue_jobs WHERE id = %s"
#: Whether a job exists (what an error about it should say).
JOB_EXISTS = "SELECT 1 AS found FROM litequeue_jobs WHERE id = %s"


#: The dashboard's filters (``JobFilter``), by field: each a condition whose every
#: parameter takes the field's value (the statuses' are ``LISTING``'s).
DASHBOARD_FILTERS = {
    "queue": "queue = %s",
    "kind": "kind = %s",
    "tag": "id IN (SELECT job_id FROM litequeue_job_tags WHERE tag = %s)",
    # The listing escapes %, _ and \ in the text.
    "text": "(payload ILIKE %s OR coalesce(error, '') ILIKE %s)",
}


#: The lowest and highest job ids: where a bounded scan starts with no page before.
ID_RANGE = "SELECT min(id) AS lowest, max(id) AS highest FROM litequeue_jobs"
#: The listing's SQL (``engines.listing``).
LISTING = ListingSql(
    table="litequeue_jobs",
    mark="%s",
    columns=_JOBS,
    tags="litequeue_job_tags",
    filters=DASHBOARD_FILTERS,
    id_range=ID_RANGE,
    # litequeue_jobs_queued, litequeue_jobs_leases, litequeue_jobs_failed_or_cancelled:
    # succeeded jobs are checked along the primary key.
    listed_statuses=frozenset({"queued", "running", "failed", "cancelled"}),
    # litequeue_jobs_queued_by_priority and _by_run_at hold queued jobs only: an index
    # with no predicate would take an entry at every claim and finish (no update of a
    # job's status is HOT).
    sorted_statuses=frozenset({"queued"}),
)
#: Jobs that succeeded or failed since a time, by queue, status and minute (its
#: start): the dashboard's throughput chart.
FINISHED_PER_MINUTE = (
    "SELECT queue, status, floor(finished_at / 60) * 60 AS minute, count(*) AS n"
    " FROM litequeue_jobs WHERE finished_at >= %s AND status IN ('succeeded', 'failed')"
    " GROUP BY 1, 2, 3"
)
#: The first job (by id) a queue holds that is queued and due: the one it has kept
#: waiting longest.
OLDEST_QUEUED = (
    "SELECT id, run_at FROM litequeue_jobs WHERE status = 'queued' AND queue = %s"
    " AND run_at <= %s ORDER BY id LIMIT 1"
)
#: Counts by queue and status, of all jobs...
STATS = "SELECT queue, status, count(*) AS n FROM litequeue_jobs GROUP BY queue, status"
#: ...or of the jobs with a tag.
STATS_BY_TAG = (
    "SELECT queue, status, count(*) AS n FROM litequeue_jobs WHERE id IN"
    " (SELECT job_id FROM litequeue_job_tags WHERE tag = %s) GROUP BY queue, status"
)
#: What decides a unique key's state: an active job of any kind holds it, else the
#: newest finished job of the kind (NULL: any).
KEY_STATE = (
    "SELECT status, handler_version FROM litequeue_jobs WHERE unique_key = %(key)s"
    f" AND (status IN {_ACTIVE} OR %(kind)s::text IS NULL OR kind = %(kind)s)"
    f" ORDER BY status IN {_ACTIVE} DESC, id DESC LIMIT 1"
)
#: A page of the event log...
EVENTS = (
    "SELECT seq, job_id, type, at, data FROM litequeue_events"
    " WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT %s"
)
#: ...and of one job's events.
JOB_EVENTS = (
    "SELECT seq, job_id, type, at, data FROM litequeue_events WHERE job_id = %s"
    " AND seq > %s AND seq <= %s ORDER BY seq LIMIT %s"
)
#: Where a follower starts: the newest event's number.
LAST_SEQ = "SELECT coalesce(max(seq), 0) AS seq FROM litequeue_events"

# -- delete -----------------------------------------------------------------------------

#: A job's id and the ids of all its descendants: what deleting it removes.
SUBTREE = (
    "WITH RECURSIVE tree(id) AS (SELECT %s::bigint UNION ALL"
    " SELECT j.id FROM litequeue_jobs AS j JOIN tree ON j.parent_id = tree.id)"
    " SELECT id FROM tree"
)
#: The first running job of a list of ids: a running job is not deleted.
FIRST_RUNNING = (
    "SELECT id FROM litequeue_jobs WHERE id = ANY(%s::bigint[]) AND status = 'running'"
    " ORDER BY id LIMIT 1"
)
#: Removed jobs read back as they were, for the plugins that clean up after them.
DELETE_JOBS_RETURNING = f"DELETE FROM litequeue_jobs WHERE id = ANY(%s::bigint[]) RETURNING {_JOBS}"
#: The rows of jobs, when nobody asks for them back.
DELETE_JOBS = "DELETE FROM litequeue_jobs WHERE id = ANY(%s::bigint[])"
#: Their tags.
DELETE_TAGS = "DELETE FROM litequeue_job_tags WHERE job_id = ANY(%s::bigint[])"
#: The events of deleted jobs (this transaction's own are written after, at commit).
DELETE_JOB_EVENTS = "DELETE FROM litequeue_events WHERE job_id = ANY(%s::bigint[])"

# -- prune ------------------------------------------------------------------------------

#: Finished jobs old enough to go, a bounded batch at a time. A batch decides its
#: outcome from all its children: their rows stay while it runs, and while it can be
#: retried (failed or cancelled). The newest job stays, as on SQLite (where ids would
#: otherwise be given out again): one rule for both engines.
OLD_JOBS = (
    "SELECT id FROM litequeue_jobs AS j WHERE finished_at < %s"
    " AND id < (SELECT max(id) FROM litequeue_jobs)"
    " AND NOT EXISTS (SELECT 1 FROM litequeue_jobs AS parent WHERE parent.id = j.parent_id"
    " AND parent.status <> 'succeeded') LIMIT %s"
)
#: Where old events end: they are written in time order, so they are a prefix of the
#: log. The newest event stays, as on SQLite: a follower always finds where the log is.
OLD_EVENTS_END = (
    "SELECT coalesce((SELECT seq FROM litequeue_events WHERE at >= %s ORDER BY seq LIMIT 1),"
    " (SELECT max(seq) FROM litequeue_events), 0) AS seq"
)
#: Old events, a bounded batch at a time; how many went.
DELETE_EVENTS = (
    "WITH gone AS (DELETE FROM litequeue_events WHERE seq IN (SELECT seq FROM"
    " litequeue_events WHERE seq < %s ORDER BY seq LIMIT %s) RETURNING 1)"
    " SELECT count(*) AS n FROM gone"
)


# -- copying a queue (``engines/copy.py``) ----------------------------------------------

#: Every table is exported from one snapshot of the database, and writes nothing.
EXPORT_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
#: A copied table's rows in key order, in the engine-neutral form (a flag as 0 or 1).
EXPORT = {
    table: "SELECT {} FROM litequeue_{} ORDER BY {}".format(
        ", ".join("paused::int" if column == "paused" else column for column in columns),
        table,
        columns[0],
    )
    for table, columns in COPIED.items()
}
#: What a copy's target already holds, by table: it must hold nothing.
HELD_ROWS = " UNION ALL ".join(
    f"SELECT '{table}' AS name, count(*) AS count FROM litequeue_{table}"
    for table in ("jobs", "events", "queues")
)
#: Copied jobs land here first: whether a job's unique key went to a newer job can only
#: be told once all are in (the key's index allows one holder at a time).
IMPORT_STAGING = (
    "CREATE TEMPORARY TABLE litequeue_import_jobs"
    " (LIKE litequeue_jobs INCLUDING DEFAULTS) ON COMMIT DROP"
)
#: Exported rows written as they were, ids and seq numbers included (jobs to staging).
IMPORT = {
    table: "COPY {} ({}) FROM STDIN".format(
        "litequeue_import_jobs" if table == "jobs" else f"litequeue_{table}", ", ".join(columns)
    )
    for table, columns in COPIED.items()
}
#: The staged jobs into the jobs table: of the active jobs sharing a unique key (a newer
#: one enqueued with force=True), the newest holds it, as on SQLite.
IMPORT_JOBS = (
    "INSERT INTO litequeue_jobs ({columns}, key_superseded)"
    " SELECT {columns}, unique_key IS NOT NULL AND status IN ('queued', 'running')"
    " AND id <> max(id) FILTER (WHERE status IN ('queued', 'running'))"
    " OVER (PARTITION BY unique_key)"
    " FROM litequeue_import_jobs"
).format(columns=", ".join(COPIED["jobs"]))
#: New jobs and events are numbered after the copied ones.
IMPORT_NUMBERING = (
    "SELECT setval(pg_get_serial_sequence('litequeue_jobs', 'id'),"
    " coalesce((SELECT max(id) FROM litequeue_jobs), 0) + 1, false),"
    " setval(pg_get_serial_sequence('litequeue_events', 'seq'),"
    " coalesce((SELECT max(seq) FROM litequeue_events), 0) + 1, false)"
)

"""The records the queue, the worker and the store pass each other, and their JSON.

No SQL here: these are plain values. ``NewJob`` is an enqueue checked and
encoded; ``Claim`` is what a worker asks for; ``Running`` is a claimed attempt
with the token that fences its answers; ``Outcome`` is how an attempt ended.
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple, overload

import attrs

from .errors import ConfigurationError, PayloadError
from .models import ErrorInfo, Event, EventType, Job, JobStatus, Undecodable

__all__ = [
    "MAX_DEPTH",
    "Claim",
    "JobFilter",
    "JobRun",
    "NewJob",
    "Outcome",
    "Running",
    "Written",
    "check_storable",
    "decode_json",
    "decode_stored",
    "describe",
    "dumps",
    "encode_json",
    "event_time",
    "job_runs",
    "payload_json",
    "value_json",
]

_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
_ENCODE_ASCII = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# The C encoder behind ``JSONEncoder.encode``, made once: ``encode`` builds a new one
# per call, which costs more than encoding a small payload. No circular-reference
# bookkeeping (a cycle ends in RecursionError, turned into ValueError below).
_MAKE_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)  # None without _json
_C_ENCODE = (
    None
    if _MAKE_C_ENCODER is None
    else _MAKE_C_ENCODER(
        None, _refuse, json.encoder.encode_basestring, None, ":", ",", False, False, False
    )
)


def encode_json(value: Any) -> str:
    """Compact JSON; raises TypeError/ValueError for what JSON cannot hold (NaN
    included).

    Text is kept as it is (not ``\\u`` escaped) unless it holds a lone surrogate,
    which UTF-8, and so SQLite, cannot store (a file name decoded with
    ``surrogateescape`` has them): then the value is encoded with ASCII escapes,
    which decode to the same text.
    """
    try:
        text = _ENCODE(value) if _C_ENCODE is None else "".join(_C_ENCODE(value, 0))
    except RecursionError:
        raise ValueError("a circular reference, or nesting too deep for JSON") from None
    if not text.isascii() and not _is_utf8(text):
        return _ENCODE_ASCII(value)
    return text


@functools.lru_cache(maxsize=256)
def enqueued_json(kind: str, queue: str) -> str:
    """An ``enqueued`` event's data as JSON, kept per pair: a producer enqueues a few
    kinds on a few queues again and again."""
    return encode_json({"kind": kind, "queue": queue})


def check_storable(*names: str) -> None:
    """Refuse names and labels (kinds, queues, keys, tags, versions, progress messages)
    that UTF-8 cannot encode; JSON values with such text are stored escaped instead."""
    for name in names:
        if not name.isascii() and not _is_utf8(name):
            raise ConfigurationError(f"{name!r} holds a lone surrogate, which cannot be stored")


def _is_utf8(text: str) -> bool:
    """True unless ``text`` holds a lone surrogate, which UTF-8 cannot encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner


def event_time(value: Any) -> datetime | None:
    """A time in an event's data (a retry's ``run_at``): written as ISO 8601, or by
    an older litequeue as a POSIX number; None for anything else."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def decode_json(text: str) -> Any:
    """Decode JSON this module encoded (compact, no surrounding space), without
    ``json.loads``' checks for whitespace and trailing data."""
    return _SCAN(text, 0)[0]


def decode_stored(text: str, what: str, number: int) -> Any:
    """``decode_json`` for a value read from the file, which an older version or
    another tool may have written: one that cannot be decoded (nested too deep for
    Python, not JSON) becomes an ``Undecodable`` naming ``what`` and ``number`` (say,
    "payload of job" 7), so that one bad row does not break every listing with it."""
    try:
        return _SCAN(text, 0)[0]
    except RecursionError:
        reason = f"nested too deep to decode (litequeue stores at most {MAX_DEPTH} levels)"
    except (ValueError, StopIteration, TypeError) as exc:
        reason = f"not valid JSON ({describe(exc) or type(exc).__name__})"
    return Undecodable(f"{what} {number} cannot be decoded: {reason}")


#: The deepest nesting of lists and objects stored in a payload, result or event
#: datum. Deeper JSON encodes, but Python's decoder (and so every reader: listings,
#: workers, event streams) fails on it somewhere past a few hundred levels.
MAX_DEPTH = 100

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _depth(text: str) -> int:
    """How deep lists and objects nest in the JSON ``text``."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _deeper_than(text: str, limit: int) -> int:
    """How deep the JSON ``text`` nests if that is past ``limit``, else 0; text with
    fewer brackets than the limit (nearly all) is passed on two counts, without a
    scan."""
    if text.count("[") + text.count("{") <= limit:
        return 0
    depth = _depth(text)
    return depth if depth > limit else 0


def _check_depth(text: str, what: str) -> None:
    """``PayloadError`` for JSON nested deeper than ``MAX_DEPTH``."""
    depth = _deeper_than(text, MAX_DEPTH)
    if depth:
        raise PayloadError(
            f"{what} nests lists and objects {depth} levels deep; litequeue stores JSON"
            f" nested at most {MAX_DEPTH} levels"
        )


def describe(exc: BaseException) -> str:
    """``str(exc)``, or a stand-in when the exception cannot describe itself: a
    handler's failure is recorded whatever it raised."""
    try:
        return str(exc)
    except Exception as failure:
        return f"<str() of this {type(exc).__name__} failed: {type(failure).__name__}>"


def dumps(value: Any, what: str) -> str:
    """Encode as compact JSON, refusing anything that would not come back equal."""
    try:
        text = encode_json(value)
    except Exception as exc:  # a dict subclass's items() may raise anything, say
        raise PayloadError(f"{what} is not JSON-serialisable: {describe(exc)}") from exc
    _check_depth(text, what)
    return text


def value_json(value: Any, what: str) -> tuple[str, Any]:
    """A payload or result as JSON, and the value it reads back as; refusing what
    would come back changed beyond a tuple turned list: NaN, cycles, and keys that are
    not strings (JSON would turn ``1`` into ``"1"``, and of ``{1: a, "1": b}`` keep
    one)."""
    text = dumps(value, what)
    if type(value) in _EXACT_SCALARS:
        return text, value  # reads back as itself
    decoded = decode_json(text)
    _check_keys(value, decoded, what)
    return text, decoded


_EXACT_SCALARS = frozenset({str, int, float, bool, type(None)})


def _check_keys(value: Any, decoded: Any, what: str) -> None:
    """``PayloadError`` if ``value``, which encoded to what decoded to ``decoded``,
    holds a dict key that is not a string. Comparing costs a twentieth of walking the
    value; only values that differ (tuples do) are walked."""
    if decoded == value:
        return
    key = _odd_key(value)
    if key is not _NO_KEY:
        raise PayloadError(
            f"{what} holds the dict key {key!r}, which is not a string (JSON object keys"
            " are strings)"
        )


_NO_KEY: Any = object()


def _odd_key(value: Any) -> Any:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return key
            found = _odd_key(item)
            if found is not _NO_KEY:
                return found
    elif isinstance(value, list | tuple):
        for item in value:
            found = _odd_key(item)
            if found is not _NO_KEY:
                return found
    return _NO_KEY


class NewJob(NamedTuple):
    """A job to insert, its arguments already checked and encoded (a tuple: batches of
    thousands are built at a time)."""

    kind: str
    queue: str
    payload: str
    #: The payload as it reads back from ``payload`` (what the inserted job holds).
    value: Any
    priority: int
    run_at: float | None  # None: due at once (the commit's time)
    max_attempts: int
    timeout: float | None
    unique_key: str | None
    force: bool
    tags: tuple[str, ...]
    parent_id: int | None
    #: The key its queue's per-key limits count it under.
    limit_key: str | None = None
    #: The jobs it waits for: ids, or the refs of earlier items of one ``enqueue_many``.
    depends_on: tuple[int | str, ...] = ()
    #: The name later items of the same ``enqueue_many`` give it in their ``depends_on``.
    ref: str | None = None

    def inserted(self, job_id: int, now: float, run_at: float) -> Job:
        """The ``Job`` its insert made at ``now``, due at ``run_at``, as it reads back
        (each engine returns it without reading the row again)."""
        created_at = datetime.fromtimestamp(now, UTC)
        return Job(
            id=job_id,
            kind=self.kind,
            queue=self.queue,
            status=JobStatus.QUEUED,
            payload=self.value,
            priority=self.priority,
            run_at=created_at if run_at == now else datetime.fromtimestamp(run_at, UTC),
            max_attempts=self.max_attempts,
            timeout=self.timeout,
            parent_id=self.parent_id,
            unique_key=self.unique_key,
            limit_key=self.limit_key,
            tags=list(self.tags),
            created_at=created_at,
            updated_at=created_at,
        )

    @property
    def plain(self) -> bool:
        """No unique key, parent, limit key, dependencies or ref: nothing to look up or
        add before or after inserting, nor a column beyond the common ones."""
        return (
            self.unique_key is None
            and self.parent_id is None
            and self.limit_key is None
            and not self.depends_on
            and self.ref is None
        )


#: Most jobs, and payload characters, in one ``JobRun``: its payloads travel as one
#: JSON text, and SQLite caps a text (a billion bytes by default).
RUN_ROWS = 10_000
RUN_CHARS = 16_000_000


class JobRun(NamedTuple):
    """Jobs that differ only in their payloads, in order, for one statement to insert.

    ``template`` holds what they share (its own payload is not used); ``payloads``
    is the JSON array of theirs, and ``values`` the payloads decoded back from it
    (what the inserted jobs hold). When ``boxed``, each payload sits in a one-item
    array: SQLite's ``json_each`` gives objects and arrays back as JSON text, but
    a number or a string as an SQL value.
    """

    template: NewJob
    payloads: str
    values: list[Any]
    boxed: bool


def job_runs(template: NewJob, payloads: Sequence[Any]) -> Iterator[JobRun]:
    """``template``'s jobs with these payloads, in runs of at most ``RUN_ROWS`` jobs and
    ``RUN_CHARS`` characters (one job alone may be longer).

    The payloads are encoded together, in one call: a third of the cost of encoding
    them one by one.
    """
    for start in range(0, len(payloads), RUN_ROWS):
        yield from _encoded_runs(template, payloads[start : start + RUN_ROWS])


def _encoded_runs(template: NewJob, payloads: Sequence[Any]) -> Iterator[JobRun]:
    boxed = not all(map(isinstance, payloads, itertools.repeat((dict, list, tuple))))
    array = [[payload] for payload in payloads] if boxed else payloads
    try:
        text = encode_json(array)
        if _deeper_than(text, MAX_DEPTH + 1 + boxed):  # the array (and boxes) add levels
            raise ValueError("a payload nests too deep")
    except (TypeError, ValueError):
        # Encode them one by one: the payload at fault raises, named. If none does
        # (one nested just too deep to fit in the array), their texts make the array.
        texts = [payload_json(template.kind, payload)[0] for payload in payloads]
        text = "[" + ",".join([f"[{t}]" for t in texts] if boxed else texts) + "]"
    if len(text) > RUN_CHARS and len(payloads) > 1:
        half = len(payloads) // 2
        yield from _encoded_runs(template, payloads[:half])
        yield from _encoded_runs(template, payloads[half:])
        return
    decoded = decode_json(text)
    if decoded != array:  # tuples, or a key that is not a string: find which payload
        for payload, value in zip(payloads, decoded, strict=True):
            _check_keys(
                payload, value[0] if boxed else value, f"payload of a {template.kind!r} job"
            )
    yield JobRun(template, text, [box[0] for box in decoded] if boxed else decoded, boxed)


def payload_json(kind: str, payload: Any) -> tuple[str, Any]:
    """A job's payload as JSON and as it reads back, or ``PayloadError`` naming its
    kind."""
    return value_json(payload, f"payload of a {kind!r} job")


@attrs.frozen(kw_only=True)
class JobFilter:
    """Which jobs a listing, a count or a bulk action is about: those matching every
    field given (the dashboard's filters)."""

    #: Any of these statuses (none: every status).
    statuses: tuple[str, ...] = ()
    queue: str | None = None
    kind: str | None = None
    tag: str | None = None
    #: Text found, case-insensitively for ASCII letters, in the payload or the error.
    text: str | None = None


@attrs.frozen(kw_only=True)
class Claim:
    """What a worker asks for: up to ``limit`` jobs from ``queues`` (served in order),
    of the ``kinds`` it has handlers for (``None``: of any kind)."""

    worker: str
    queues: tuple[str, ...]
    limit: int
    lease: float
    kinds: tuple[str, ...] | None = None


class Outcome(NamedTuple):
    """How one attempt ended, as the worker reports it.

    ``status`` is ``succeeded``, ``failed`` (``retry_at`` set when another attempt
    may run), ``cancelled`` or ``released`` (handed back unfinished at stop).
    ``attempt`` is the attempt's number when the worker knows it (0 when not), and
    ``parent_id`` the job's parent as claimed: a success of a job with no parent
    whose attempt is known is recorded without reading its row back.
    A tuple rather than an attrs class: workers make one per job.
    """

    job_id: int
    run_id: int
    status: str
    result: str | None = None
    error: ErrorInfo | None = None
    retry_at: float | None = None
    handler_version: str | None = None
    attempt: int = 0
    parent_id: int | None = None


class Running:
    """A claimed attempt: the token that fences its answers, what a worker needs of
    its job, and the full ``Job``, built the first time it is asked for (by
    ``build(row, payload)``, shared by the jobs of one claim): building one costs more
    than running a small job, and most handlers never look at ``ctx.job``."""

    __slots__ = (
        "_build",
        "_job",
        "_row",
        "attempt",
        "job_id",
        "kind",
        "max_attempts",
        "parent_id",
        "payload",
        "run_id",
        "timeout",
    )

    def __init__(  # positional: one is made per claimed job
        self,
        run_id: int,
        job_id: int,
        kind: str,
        attempt: int,
        max_attempts: int,
        timeout: float | None,
        parent_id: int | None,
        payload: Any,
        row: Sequence[Any],
        build: Callable[[Sequence[Any], Any], Job],
    ) -> None:
        self.run_id = run_id
        self.job_id = job_id
        self.kind = kind
        self.attempt = attempt
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.parent_id = parent_id
        self.payload = payload
        self._row = row
        self._build = build
        self._job: Job | None = None

    @property
    def job(self) -> Job:
        if self._job is None:
            self._job = self._build(self._row, self.payload)
        return self._job


_TYPE = operator.itemgetter(2)


class Written(Sequence[Event]):
    """The events one transaction wrote, as ``(seq, job_id, type, data)`` rows; each
    ``Event`` value is built when first read. A busy worker writes several events per
    job, and when no listener wants one (see ``hookspecs.wants``), none is built.

    Rows may share one ``data`` dict (the events of an ``enqueue_many`` run do): each
    ``Event`` gets its own copy.
    """

    __slots__ = ("_at", "_built", "_rows", "_when")

    def __init__(self, rows: list[tuple[int, int, EventType, dict[str, Any]]], when: float) -> None:
        self._rows = rows
        self._when = when
        self._at: datetime | None = None
        self._built: dict[int, Event] = {}

    @property
    def types(self) -> list[EventType]:
        """The type of each event, in order."""
        return list(map(_TYPE, self._rows))

    @property
    def type_set(self) -> set[EventType]:
        """The types of event written."""
        return set(map(_TYPE, self._rows))

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self._rows))[index]]
        if index < 0:
            index += len(self._rows)
        event = self._built.get(index)
        if event is None:
            if self._at is None:
                self._at = datetime.fromtimestamp(self._when, UTC)
            seq, job_id, type_, data = self._rows[index]
            event = self._built[index] = Event(
                seq=seq, job_id=job_id, type=type_, at=self._at, data=dict(data)
            )
        return event

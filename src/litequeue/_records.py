"""The records the queue, the worker and the store pass each other, and their JSON.

No SQL here: these are plain values. ``NewJob`` is an enqueue checked and
encoded; ``Claim`` is what a worker asks for; ``Running`` is a claimed attempt
with the token that fences its answers; ``Outcome`` is how an attempt ended.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple, overload

import attrs

from .errors import PayloadError
from .models import ErrorInfo, Event, EventType, Job

__all__ = [
    "Claim",
    "NewJob",
    "Outcome",
    "Running",
    "Written",
    "decode_json",
    "dumps",
    "encode_json",
]

_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


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
    included)."""
    if _C_ENCODE is None:
        return _ENCODE(value)
    try:
        return "".join(_C_ENCODE(value, 0))
    except RecursionError:
        raise ValueError("a circular reference, or nesting too deep for JSON") from None


_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner


def decode_json(text: str) -> Any:
    """Decode JSON this module encoded (compact, no surrounding space), without
    ``json.loads``' checks for whitespace and trailing data."""
    return _SCAN(text, 0)[0]


def dumps(value: Any, what: str) -> str:
    """Encode as compact JSON, refusing anything that would not come back equal."""
    try:
        return encode_json(value)
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"{what} is not JSON-serialisable: {exc}") from exc


class NewJob(NamedTuple):
    """A job to insert, its arguments already checked and encoded (a tuple: batches of
    thousands are built at a time)."""

    kind: str
    queue: str
    payload: str
    priority: int
    run_at: float | None  # None: due at once (the commit's time)
    max_attempts: int
    timeout: float | None
    unique_key: str | None
    force: bool
    tags: tuple[str, ...]
    parent_id: int | None

    def with_payload(self, payload: str) -> NewJob:
        """The same job with another (encoded) payload."""
        return NewJob._make((self[0], self[1], payload, *self[3:]))

    @property
    def plain(self) -> bool:
        """No unique key and no parent: nothing to look up before inserting."""
        return self.unique_key is None and self.parent_id is None


@attrs.frozen(kw_only=True)
class Claim:
    """What a worker asks for: up to ``limit`` jobs from ``queues`` (served in order)."""

    worker: str
    queues: tuple[str, ...]
    limit: int
    lease: float


class Outcome(NamedTuple):
    """How one attempt ended, as the worker reports it.

    ``status`` is ``succeeded``, ``failed`` (``retry_at`` set when another attempt
    may run), ``cancelled`` or ``released`` (handed back unfinished at stop).
    ``attempt`` is the attempt's number when the worker knows it (0 when not): it
    lets the store record a lone success without reading the row back.
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


class Running:
    """A claimed attempt: the token that fences its answers, what a worker needs of
    its job, and the full ``Job``, built from the claimed row the first time it is
    asked for: building one costs more than running a small job, and most handlers
    never look at ``ctx.job``."""

    __slots__ = (
        "_build",
        "_job",
        "attempt",
        "job_id",
        "kind",
        "max_attempts",
        "payload",
        "run_id",
        "timeout",
    )

    def __init__(
        self,
        *,
        run_id: int,
        job_id: int,
        kind: str,
        attempt: int,
        max_attempts: int,
        timeout: float | None,
        payload: Any,
        build: Callable[[], Job],
    ) -> None:
        self.run_id = run_id
        self.job_id = job_id
        self.kind = kind
        self.attempt = attempt
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.payload = payload
        self._build: Callable[[], Job] | None = build
        self._job: Job | None = None

    @property
    def job(self) -> Job:
        if self._job is None:
            assert self._build is not None
            self._job, self._build = self._build(), None
        return self._job


class Written(Sequence[Event]):
    """The events one transaction wrote, as ``(seq, job_id, type, data)`` rows; each
    ``Event`` value is built when first read. A busy worker writes several events per
    job, and when no listener wants one (see ``hookspecs.wants``), none is built."""

    __slots__ = ("_at", "_built", "_rows", "_when")

    def __init__(self, rows: list[tuple[int, int, EventType, dict[str, Any]]], when: float) -> None:
        self._rows = rows
        self._when = when
        self._at: datetime | None = None
        self._built: dict[int, Event] = {}

    @property
    def types(self) -> list[EventType]:
        return [row[2] for row in self._rows]

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
                seq=seq, job_id=job_id, type=type_, at=self._at, data=data
            )
        return event

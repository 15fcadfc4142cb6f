"""Handlers: what runs a job of a given kind, and the context it runs with."""

from __future__ import annotations

import importlib
import inspect
import math
import random
from collections.abc import Callable
from typing import Any, Protocol

import attrs

from ._checks import name, whole
from ._records import check_storable
from .errors import AttemptLost, ConfigurationError
from .models import Job

__all__ = ["Backoff", "CancelFlag", "Context", "HandlerSpec", "is_retryable", "resolve"]


@attrs.frozen(kw_only=True)
class Backoff:
    """Exponential backoff with jitter: attempt ``n`` waits about ``base * factor**(n-1)``
    seconds, capped at ``max``, each wait scaled by a random factor in
    ``[1 - jitter, 1 + jitter]`` so failing jobs do not retry in lockstep."""

    #: Wait after the first failed attempt, in seconds.
    base: float = 1.0
    #: Growth per attempt.
    factor: float = 2.0
    #: Longest wait, in seconds.
    max: float = 300.0
    #: Share of the wait that is random.
    jitter: float = 0.25

    def __attrs_post_init__(self) -> None:
        numbers = (self.base, self.factor, self.max, self.jitter)
        if (
            not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers)
            or self.base < 0
            or self.factor < 1
            or self.max < 0
            or not 0 <= self.jitter <= 1
        ):
            raise ConfigurationError(
                f"backoff needs base >= 0, factor >= 1, max >= 0 and 0 <= jitter <= 1: {self}"
            )

    def delay(self, attempt: int) -> float:
        """Seconds to wait after attempt number ``attempt`` (1-based) failed."""
        wait = min(self.max, self.base * self.factor ** max(attempt - 1, 0))
        return wait * random.uniform(1 - self.jitter, 1 + self.jitter)


Handler = Callable[["Context", Any], Any]


@attrs.frozen(kw_only=True)
class HandlerSpec:
    """A registered handler and how its jobs run."""

    #: The job kind it handles.
    kind: str
    #: ``fn(ctx, payload) -> result``; may be ``async def``.
    fn: Handler
    #: Recorded on each job it runs; compare with ``Queue.key_states``.
    version: str = "1"
    #: Default ``max_attempts`` for jobs of this kind enqueued through this queue.
    max_attempts: int | None = None
    #: Default timeout (seconds) for jobs of this kind.
    timeout: float | None = None
    #: How long to wait between attempts.
    backoff: Backoff = attrs.field(factory=Backoff)
    #: Run in a child process (CPU-bound work; the child is killed on timeout).
    process: bool = False
    #: Address-space limit for the child process, in bytes (``process=True`` only).
    memory_limit: int | None = None

    #: Whether ``fn`` is ``async def`` (worked out once: the worker asks per job).
    is_async: bool = attrs.field(init=False)

    @is_async.default
    def _is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)

    @property
    def import_path(self) -> str:
        """``module:qualname``, how a child process finds the function."""
        return f"{self.fn.__module__}:{self.fn.__qualname__}"

    def check(self) -> HandlerSpec:
        """Raise ``ConfigurationError`` for settings that cannot work."""
        name(self.kind, "a job kind")
        if not callable(self.fn):
            raise ConfigurationError(f"handler for {self.kind!r} is not callable: {self.fn!r}")
        if self.max_attempts is not None:
            whole(self.max_attempts, f"max_attempts for {self.kind!r}")
        if self.memory_limit is not None:
            whole(self.memory_limit, f"memory_limit (bytes) for {self.kind!r}")
        if not isinstance(self.backoff, Backoff):
            raise ConfigurationError(
                f"backoff for {self.kind!r} must be a litequeue.Backoff, not {self.backoff!r}"
            )
        if self.process:
            if self.is_async:
                raise ConfigurationError(
                    f"handler for {self.kind!r}: process=True needs a sync function"
                )
            try:
                found = resolve(self.import_path)
            except (ImportError, AttributeError):
                found = None
            if found is not self.fn or self.fn.__module__ == "__main__":
                raise ConfigurationError(
                    f"handler for {self.kind!r} runs in a child process, so it must be a "
                    f"module-level function of an importable module (not the script being "
                    f"run), found as {self.import_path!r}"
                )
        elif self.memory_limit is not None:
            raise ConfigurationError(f"memory_limit for {self.kind!r} needs process=True")
        return self


def is_retryable(exc: BaseException) -> bool:
    """False for an exception whose class sets ``retryable = False``: a failure that
    another attempt cannot fix (a corrupt input file, say) fails the job at once."""
    try:
        return getattr(exc, "retryable", True) is not False
    except Exception:  # a property that fails says nothing: retry as usual
        return True


def resolve(import_path: str) -> Any:
    """Import ``module:qualname``."""
    module_name, _, qualname = import_path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


Reporter = Callable[[str, Any, Any], bool]


class JobSource(Protocol):
    """Something that gives the job when asked (the worker's claimed attempt, which
    builds it only then)."""

    @property
    def job(self) -> Job: ...


class CancelFlag:
    """A one-way flag the worker raises and a handler polls (``ctx.cancelled``);
    lighter than ``threading.Event``, which the worker would make for every job."""

    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


class Context:
    """What a handler gets besides its payload: the job, progress, logs, cancellation.

    ``progress`` and ``log`` are written to the queue (and its event log) at once;
    when the attempt has lost its job (timed out, cancelled, lease taken back)
    ``progress`` raises ``AttemptLost`` so the handler can stop.
    """

    def __init__(
        self, job: Job | JobSource, reporter: Reporter, cancel: CancelFlag | None = None
    ) -> None:
        self._job = job
        self._report = reporter
        self._cancel = cancel or CancelFlag()

    @property
    def job(self) -> Job:
        """The job as it was claimed."""
        job = self._job
        if not isinstance(job, Job):
            job = self._job = job.job
        return job

    @property
    def attempt(self) -> int:
        """This run's number, 1 for the first."""
        return self.job.attempt

    @property
    def cancelled(self) -> bool:
        """True once the job was cancelled, timed out, lost its lease or the worker is
        stopping for good: a long handler should check it and return early."""
        return self._cancel.is_set()

    def progress(self, percent: float | None = None, message: str | None = None) -> None:
        """Record how far the job is (0-100) and, optionally, what it is doing.

        A number past either end is clamped to it (an estimate that overshoots,
        101 from rounding, must not fail the job); what is not a number is refused."""
        if percent is not None:
            if (
                not isinstance(percent, int | float)
                or isinstance(percent, bool)
                or not math.isfinite(percent)
            ):
                raise ConfigurationError(
                    f"progress must be a number from 0 to 100, not {percent!r}"
                )
            percent = min(100, max(0, percent))
        if message is not None:
            if not isinstance(message, str):
                raise ConfigurationError(f"a progress message is a string, not {message!r}")
            check_storable(message)
        if not self._report("progress", percent, message):
            self._cancel.set()
            raise AttemptLost(
                f"job {self.job.id} attempt {self.job.attempt} no longer holds the job"
            )

    def log(self, message: str) -> None:
        """Add a line to the job's events."""
        self._report("log", str(message), None)

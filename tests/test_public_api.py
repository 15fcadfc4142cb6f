"""The public surface is deliberate: this pins it, so a change to it is a decision."""

from __future__ import annotations

import re

import litequeue
import litequeue.testing

PUBLIC = {
    # the queue and its worker
    "Queue", "Worker", "Context", "Backoff", "hookimpl",
    # values
    "Job", "JobStatus", "Event", "EventType", "ErrorInfo", "KeyState", "QueueInfo",
    "Undecodable", "WorkerInfo", "Schedule",
    # handler signals
    "Retry", "Cancel",
    # errors
    "LitequeueError", "ConfigurationError", "PayloadError", "JobNotFound", "InvalidTransition",
    "UnknownKind", "AttemptLost", "JobTimeout", "LeaseExpired", "WorkerStopped",
    "ChildProcessDied", "StoreError", "SchemaTooNew", "SchemaTooOld", "ForeignDatabase",
    "NotADatabase", "DatabaseReadOnly", "DiskFull", "DatabaseBusy", "SQLiteTooOld",
    "DatabaseUnreachable", "LoginRefused", "ConnectionLost", "ScheduleNotFound",
    "TargetNotEmpty",
}  # fmt: skip


def test_all_is_exactly_the_public_surface() -> None:
    assert set(litequeue.__all__) == PUBLIC
    for name in litequeue.__all__:
        assert getattr(litequeue, name) is not None


def test_errors_share_one_base_and_subclass_the_right_builtins() -> None:
    errors = [getattr(litequeue, n) for n in PUBLIC if n.endswith(("Error", "Found"))]
    assert all(issubclass(e, litequeue.LitequeueError) for e in errors)
    assert issubclass(litequeue.JobNotFound, LookupError)
    assert issubclass(litequeue.ConfigurationError, ValueError)
    assert issubclass(litequeue.PayloadError, TypeError)
    assert issubclass(litequeue.JobTimeout, TimeoutError)
    assert not issubclass(litequeue.Retry, litequeue.LitequeueError)


def test_version_is_a_version_string() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", litequeue.__version__)


def test_testing_helpers_are_public() -> None:
    assert set(litequeue.testing.__all__) == {"EventRecorder", "drain", "run_once"}


def test_job_status_is_a_str_enum_with_the_documented_values() -> None:
    assert [s.value for s in litequeue.JobStatus] == [
        "queued",
        "running",
        "succeeded",
        "failed",
        "cancelled",
    ]
    assert litequeue.JobStatus("failed") == "failed"

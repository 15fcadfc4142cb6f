"""How ``Queue(target)`` picks its engine: a path, a ``sqlite:///`` URL, an opened
``Store``; an engine this litequeue lacks is refused by name, before any file is made."""

from __future__ import annotations

from pathlib import Path

import pytest

import litequeue
from litequeue.engines.sqlite import SQLiteStore


def test_a_sqlite_url_opens_the_file_its_path_names(db_path: Path) -> None:
    with litequeue.Queue(f"sqlite://{db_path}") as by_url:
        job = by_url.enqueue("k", {"n": 1})
        assert by_url.path == db_path
    with litequeue.Queue(db_path) as by_path:
        assert by_path.get(job.id).payload == {"n": 1}


def test_an_opened_store_is_used_as_it_is(db_path: Path) -> None:
    store = SQLiteStore(db_path, durability="normal")
    with litequeue.Queue(store) as queue:
        assert queue.store is store
        job = queue.enqueue("k")
    with litequeue.Queue(db_path) as other:
        assert other.get(job.id).kind == "k"


def test_a_postgresql_server_that_does_not_answer_is_named_without_the_password() -> None:
    # Port 1 on this machine: nothing listens, the connection is refused at once.
    with pytest.raises(litequeue.DatabaseUnreachable) as caught:
        litequeue.Queue("postgresql://app:s3cret@127.0.0.1:1/jobs", busy_timeout=1)
    assert "host 127.0.0.1, port 1, database jobs" in str(caught.value)
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    "target",
    ["mysql://db.example/jobs", "sqlite://host/queue.db", "sqlite:///q.db?mode=ro"],
)
def test_a_url_of_no_engine_or_a_malformed_sqlite_url_is_refused(target: str) -> None:
    with pytest.raises(litequeue.ConfigurationError, match="sqlite:///"):
        litequeue.Queue(target)

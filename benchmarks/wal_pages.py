"""Pages a litequeue commit writes on SQLite, by B-tree: what each index costs a write.

Every page a commit changes is one frame appended to the write-ahead log. This script
enqueues jobs one by one, then drains them with one job per claim (each commit records
one success and claims the next job), while a reader holds a snapshot open so that no
checkpoint resets the log; then it reads the frame headers the two phases appended and
names each frame's page with ``dbstat`` (pages freed meanwhile show as ``(free)``).

    python benchmarks/wal_pages.py                    # 800 jobs, NORMAL
    python benchmarks/wal_pages.py --n 2000 --json    # machine-readable
    PYTHONPATH=/path/to/other/src python benchmarks/wal_pages.py   # another revision

The figures are pages per commit, the mean over the phase's commits; ``--backlog``
finished jobs made first (``enqueue_many`` and a batch drain) put the B-trees at a
realistic depth.
"""

from __future__ import annotations

import argparse
import collections
import json
import sqlite3
import struct
import tempfile
from pathlib import Path
from typing import Any

import litequeue

_WAL_HEADER = 32
_FRAME_HEADER = 24


def _frames(wal: Path, start: int, page_size: int) -> list[tuple[int, bool]]:
    """``(page number, ends a commit)`` of every frame of ``wal`` from byte ``start``."""
    data = wal.read_bytes()
    frames = []
    at = max(start, _WAL_HEADER)
    while at + _FRAME_HEADER + page_size <= len(data):
        page, commit_size = struct.unpack(">II", data[at : at + 8])
        frames.append((page, commit_size != 0))
        at += _FRAME_HEADER + page_size
    return frames


def _owners(db: Path) -> dict[int, str]:
    """Each page's B-tree (table or index name), as the file is now."""
    with sqlite3.connect(db) as conn:
        return {pageno: name for name, pageno in conn.execute("SELECT name, pageno FROM dbstat")}


def _tally(frames: list[tuple[int, bool]], owners: dict[int, str]) -> dict[str, Any]:
    commits = sum(1 for _, ends in frames if ends) or 1
    per_tree = collections.Counter(owners.get(page, "(free)") for page, _ in frames)
    return {
        "commits": commits,
        "pages_per_commit": round(len(frames) / commits, 2),
        "by_tree": {name: round(n / commits, 2) for name, n in per_tree.most_common()},
    }


def measure(workdir: Path, n: int, backlog: int) -> dict[str, Any]:
    """Enqueue ``n`` jobs one by one, then drain them one per claim; the pages per
    commit of each phase, by B-tree."""
    db = workdir / "wal.db"
    queue = litequeue.Queue(db, durability="normal", autoload_plugins=False)
    queue.handler("noop")(lambda ctx, payload: None)
    if backlog:
        for start in range(0, backlog, 1000):
            queue.enqueue_many([("noop", {"i": i}) for i in range(start, start + 1000)])
        litequeue.Worker(queue, concurrency=100).run(until_empty=True)
    queue.enqueue("noop", {"i": -1})  # the log and the schema exist before the snapshot
    wal = db.with_name(db.name + "-wal")
    with sqlite3.connect(db) as probe:
        page_size = probe.execute("PRAGMA page_size").fetchone()[0]
        probe.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN")
    holder.execute("SELECT count(*) FROM sqlite_master").fetchone()  # holds a snapshot
    try:
        before = wal.stat().st_size
        for i in range(n):
            queue.enqueue("noop", {"i": i})
        middle = wal.stat().st_size
        litequeue.Worker(queue, concurrency=1).run(until_empty=True)
        enqueue_frames = _frames(wal, before, page_size)
        drain_frames = _frames(wal, middle, page_size)
        enqueue_frames = enqueue_frames[: len(enqueue_frames) - len(drain_frames)]
    finally:
        holder.execute("COMMIT")
        holder.close()
        queue.close()
    owners = _owners(db)
    return {
        "n": n,
        "backlog": backlog,
        "enqueue": _tally(enqueue_frames, owners),
        "drain": _tally(drain_frames, owners),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=800, help="jobs enqueued, then drained")
    parser.add_argument("--backlog", type=int, default=10_000, help="finished jobs made first")
    parser.add_argument("--json", action="store_true", help="print JSON")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = measure(Path(tmp), options.n, options.backlog)
    if options.json:
        print(json.dumps(result))
        return
    print(f"litequeue {litequeue.__file__}")
    for phase in ("enqueue", "drain"):
        tally = result[phase]
        print(f"{phase}: {tally['pages_per_commit']} pages a commit ({tally['commits']} commits)")
        for name, pages in tally["by_tree"].items():
            print(f"  {name:28} {pages}")


if __name__ == "__main__":
    main()

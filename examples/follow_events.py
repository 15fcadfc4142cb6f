"""Follow a queue file's event log and print each job's progress, from any process.

    python examples/follow_events.py app.db [--after SEQ]

The sequence number of the last event shown is kept in ``<db>.seen``; run it
again and it resumes there, missing nothing (the same guarantee a browser gets
from the Last-Event-ID of the web page's stream). Ctrl-C or SIGTERM ends it.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

import litequeue


def _sequence_number(text: str) -> int:
    if not text.strip().isdecimal():
        raise argparse.ArgumentTypeError(f"expected an event number >= 0, not {text!r}")
    return int(text)


def _resume_point(seen_file: Path) -> int:
    """Where the last run stopped; a damaged record starts from the beginning."""
    try:
        return _sequence_number(seen_file.read_text())
    except (OSError, argparse.ArgumentTypeError):
        return 0


class _Stop:
    """Ctrl-C and SIGTERM end the program, but never between showing an event and
    noting its number: the next run resumes right after the last event shown."""

    def __init__(self) -> None:
        self.busy = False
        self.asked = False
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._signal)

    def _signal(self, signum: int, frame: FrameType | None) -> None:
        if self.busy:
            self.asked = True  # once the event's number is noted
        else:
            raise KeyboardInterrupt

    def __enter__(self) -> None:
        self.busy = True

    def __exit__(self, *exc_info: object) -> None:
        self.busy = False
        if self.asked:
            raise KeyboardInterrupt


def _line(event: litequeue.Event) -> str:
    line = f"#{event.seq:<6} job {event.job_id:<5} {event.type.value:<10}"
    if event.type is litequeue.EventType.PROGRESS:
        return line + f" {event.data.get('progress', 0):5.1f}% {event.data.get('message') or ''}"
    if "error" in event.data:
        return line + f" {event.data['error']}"
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, help="an existing queue file")
    parser.add_argument(
        "--after", type=_sequence_number, help="start after this event (default: resume)"
    )
    args = parser.parse_args()
    if not args.db.is_file():
        parser.error(f"{args.db}: no such queue file")  # a typo must not make a new one
    seen_file = args.db.with_name(args.db.name + ".seen")
    after = _resume_point(seen_file) if args.after is None else args.after
    stop = _Stop()
    try:
        with litequeue.Queue(args.db, migrate=False) as queue:
            for event in queue.events(after=after, follow=True):
                with stop:
                    print(_line(event), flush=True)
                    seen_file.write_text(str(event.seq))
    except litequeue.LitequeueError as exc:
        print(f"follow_events: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Follow a queue file's event log and print each job's progress, from any process.

    python examples/follow_events.py app.db [--after SEQ]

The sequence number of the last event shown is kept in ``<db>.seen``; run it
again and it resumes there, missing nothing (the same guarantee a browser gets
from the Last-Event-ID of the web page's stream).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import litequeue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--after", type=int, help="start after this event (default: resume)")
    args = parser.parse_args()
    seen_file = args.db.with_name(args.db.name + ".seen")
    after = args.after
    if after is None:
        after = int(seen_file.read_text()) if seen_file.exists() else 0
    with litequeue.Queue(args.db) as queue:
        try:
            for event in queue.events(after=after, follow=True):
                line = f"#{event.seq:<6} job {event.job_id:<5} {event.type.value:<10}"
                if event.type is litequeue.EventType.PROGRESS:
                    line += (
                        f" {event.data.get('progress', 0):5.1f}% {event.data.get('message') or ''}"
                    )
                elif "error" in event.data:
                    line += f" {event.data['error']}"
                print(line, flush=True)
                seen_file.write_text(str(event.seq))
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()

"""Command line: ``litequeue-cv extract FILE [--json]``, ``run PATH...``, ``demo``, ``web``.

Each subcommand is one ``_add_<name>`` function that registers its parser and
sets ``handler``; adding a subcommand means adding one such function to
``SUBCOMMANDS``. Errors are one line on stderr, ``litequeue-cv: error: ...``, as
in the ``litequeue`` command: exit status 1 for a file or queue that cannot be
used (or a port that cannot be listened on), 2 for bad usage, 130 for an
interrupted run (a web server stopped by Ctrl-C or SIGTERM exits 0); never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ._extract import extract
from ._result import CVResult
from .errors import CVError

if TYPE_CHECKING:
    from rich.console import Console

#: ``_add_<name>(subparsers)`` functions, one per subcommand.
AddCommand = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]
#: Exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130


def _fail(message: object, status: int) -> int:
    print(f"litequeue-cv: error: {message}", file=sys.stderr)
    return status


def _summary(result: CVResult) -> str:
    c = result.contact
    lines = [
        f"{result.file_name} ({result.file_type}, {result.extract_time_ms} ms, "
        f"confidence {result.parse_confidence:.2f})",
        f"  name:      {c.name or '-'}",
        f"  email:     {c.email or '-'}",
        f"  phone:     {c.phone or '-'}",
        f"  location:  {c.location or '-'}",
        f"  links:     {', '.join(c.links) or '-'}",
        f"  sections:  {', '.join(result.section_order) or '-'}",
    ]
    lines.extend(
        f"  job:       {j.title or '?'} at {j.company or '?'} ({j.start or '?'} - {j.end or '?'})"
        for j in result.work_history
    )
    lines.extend(
        f"  education: {d.degree or '?'}, {d.institution or '?'} ({d.end or '?'})"
        for d in result.education
    )
    if result.skills:
        lines.append(f"  skills:    {', '.join(result.skills)}")
    lines.extend(f"  warning:   {w}" for w in result.warnings)
    return "\n".join(lines)


def _run_extract(args: argparse.Namespace) -> int:
    try:
        result = extract(args.file)
    except CVError as exc:
        return _fail(exc, 1)
    if args.json:
        print(_json_text(result.to_dict()))
    else:
        print(_summary(result))
    return 0


def _json_text(value: Any) -> str:
    """JSON as text, non-ASCII kept; with ASCII escapes when it holds a lone surrogate
    (a file name that is not UTF-8), which valid UTF-8 cannot carry."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True, indent=2)
    return text


def _add_extract(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("extract", help="extract one CV file (PDF, DOCX or TXT)")
    p.add_argument("file", help="path of the CV file")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=_run_extract)


def _run_run(args: argparse.Namespace) -> int:
    return _run_paths(args.paths, db=args.db, tags=args.tag, workers=args.workers)


def _db_target(text: str) -> Path | str:
    """``--db``: a queue file's path, or a database URL (``postgresql://...``) as it is."""
    return text if "://" in text else Path(text)


def _run_paths(paths: Sequence[Path], *, db: Path | str, tags: Sequence[str], workers: int) -> int:
    """Enqueue, work through and summarise; non-zero when any file failed."""
    import logging

    from .plugin import QueueError
    from .plugin.run import find_cv_files, run_cvs, summary_table

    console = _console()
    missing = [p for p in paths if not p.exists()]
    if missing:
        return _fail(f"no such file or folder: {', '.join(map(str, missing))}", 2)
    if not find_cv_files(paths):
        return _fail("no CV files (.pdf, .docx, .doc, .txt) under the given paths", 2)
    # The live view reports every failure itself; keep the job log for real trouble.
    logging.getLogger("litequeue.jobs").setLevel(logging.ERROR)
    try:
        summary = run_cvs(paths, db=db, tags=tags, workers=workers, console=console)
    except QueueError as exc:
        return _fail(exc, 1)
    console.print(summary_table(summary))
    failed, left = len(summary.failed), len(summary.left)
    console.print(
        f"{len(summary.jobs) - failed - left} extracted, {failed} failed, "
        f"{len(summary.skipped)} already done (kept from an earlier run)"
        + (f", {left} left for the next run (interrupted)" if left else "")
        + f" · jobs in {db}"
    )
    if left:
        return INTERRUPTED
    return 1 if failed else 0


#: How wide piped output may be: a file or a pager has no edge, and a line cut at 80
#: columns would split a file name or a figure.
PIPED_WIDTH = 1000


def _console() -> Console:
    """The terminal's console; piped (and no ``COLUMNS`` set), one whose lines and
    tables are as wide as they need to be."""
    from rich.console import Console

    console = Console()
    if console.is_terminal or "COLUMNS" in os.environ:
        return console
    return Console(width=PIPED_WIDTH, soft_wrap=True)


def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        help="extract every CV under some paths as queued jobs, with live progress",
        description="Persist a cv.extract job for every CV under the paths, then work "
        "through them with live progress. Files already extracted by this version are "
        "skipped; exit status 1 when any file failed, 130 when interrupted (Ctrl-C: "
        "the next run picks up the rest).",
    )
    p.add_argument("paths", nargs="+", type=Path, help="CV files or folders")
    p.add_argument(
        "--db", type=_db_target, default=Path("litequeue-cv.db"), help="queue file or URL"
    )
    p.add_argument("--tag", action="append", default=[], help="label the jobs, e.g. project:42")
    p.add_argument(
        "--workers", type=_positive_int, default=2, help="files parsed at once (default 2)"
    )
    p.set_defaults(handler=_run_run)


def _run_demo(args: argparse.Namespace) -> int:
    import tempfile

    from .samples import generate

    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="litequeue-cv-demo-"))
    samples = generate(folder / "cvs", args.n, seed=args.seed)
    print(f"wrote {len(samples)} sample CVs (PDF and DOCX) to {folder / 'cvs'}")
    db = folder / "demo.db"
    status = _run_paths([folder / "cvs"], db=db, tags=["project:demo"], workers=args.workers)
    print(
        f"\nTry: litequeue --db {db} jobs    (the queue)\n"
        f"     litequeue-cv run {folder / 'cvs'} --db {db}    (a re-run skips them all)"
    )
    return status


def _add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="write sample CVs to a temporary folder and run them")
    p.add_argument("--n", type=_positive_int, default=12, help="how many CVs (default 12)")
    p.add_argument("--seed", type=int, default=7, help="which made-up people")
    p.add_argument("--dir", help="folder to write to (default: a new temporary one)")
    p.add_argument(
        "--workers", type=_positive_int, default=2, help="files parsed at once (default 2)"
    )
    p.set_defaults(handler=_run_demo)


def _run_web(args: argparse.Namespace) -> int:
    try:
        from litequeue.web import link, listen

        from .plugin.web import create_app, serve
    except ImportError:
        from litequeue._extras import install_command

        return _fail(f"the web page needs: {install_command('web')}", 2)
    from .plugin import QueueError

    if args.data:
        data = Path(args.data)
    elif isinstance(args.db, Path):
        data = args.db.resolve().parent / "cv-data"
    else:  # a database URL: no folder beside it
        data = Path("cv-data").resolve()
    token = None if args.no_token else args.token or secrets.token_urlsafe(24)
    try:
        # Bound first, so a taken port or an unknown host is one error line, and the
        # link is printed only once connections can be made.
        sock = listen(args.host, args.port)
    except OSError as exc:
        return _fail(f"cannot listen: {exc.strerror or exc}", 1)  # names the address
    with sock:
        try:
            app = create_app(
                args.db,
                data_dir=data,
                token=token,
                allowed_hosts=args.allow_host,
                run_worker=not args.no_worker,
                workers=args.workers,
            )
        except (QueueError, OSError) as exc:  # the queue file or the upload folder
            return _fail(exc, 1)
        print(f"CV page on {link(sock, token)} (uploads in {data}); Ctrl-C to stop", flush=True)
        serve(app, sock)
    return 0


def _add_web(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("web", help="a page to drop CVs on and watch them being read, live")
    p.add_argument(
        "--db", type=_db_target, default=Path("litequeue-cv.db"), help="queue file or URL"
    )
    p.add_argument(
        "--data", help="folder for uploaded files (default: cv-data beside --db, or here for a URL)"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8765, help="(default 8765; 0: any free port)")
    p.add_argument("--token", help="the token the link carries (default: a new one per start)")
    p.add_argument(
        "--no-token",
        action="store_true",
        help="serve without a token (anyone on the host may use it)",
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer to this host name (repeatable; '*' for any, behind a checking proxy)",
    )
    p.add_argument(
        "--workers", type=_positive_int, default=2, help="files parsed at once (default 2)"
    )
    p.add_argument("--no-worker", action="store_true", help="only serve; run a worker separately")
    p.set_defaults(handler=_run_web)


SUBCOMMANDS: list[AddCommand] = [_add_extract, _add_run, _add_demo, _add_web]


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors in the same ``litequeue-cv: error:`` form as the rest
    (its subcommands' parsers are of this class too)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"litequeue-cv: error: {message}\n")


def _positive_int(text: str) -> int:
    """An argparse type, so that ``--workers 0`` is bad usage rather than a queue error."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, not {text!r}")
    return value


def _port(text: str) -> int:
    """An argparse type: a port socket can bind, so ``--port 70000`` is bad usage."""
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535, not {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser: argparse.ArgumentParser = _Parser(
        prog="litequeue-cv", description="Read CVs into JSON."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error argparse has printed (2)
        return exc.code if isinstance(exc.code, int) else 2
    handler: Callable[[argparse.Namespace], Any] = args.handler
    try:
        return int(handler(args))
    except KeyboardInterrupt:  # before or after a run's worker, which handles it itself
        return INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``litequeue-cv extract --json cv.pdf | head``).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1

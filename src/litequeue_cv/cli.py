"""Command line: ``litequeue-cv extract FILE [--json]``.

Each subcommand is one ``_add_<name>`` function that registers its parser and
sets ``handler``; adding a subcommand means adding one such function to
``SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ._extract import extract
from ._result import CVResult
from .errors import CVError

#: ``_add_<name>(subparsers)`` functions, one per subcommand.
AddCommand = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


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
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(_summary(result))
    return 0


def _add_extract(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("extract", help="extract one CV file (PDF, DOCX or TXT)")
    p.add_argument("file", help="path of the CV file")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=_run_extract)


SUBCOMMANDS: list[AddCommand] = [_add_extract]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="litequeue-cv", description="Read CVs into JSON.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], Any] = args.handler
    return int(handler(args))

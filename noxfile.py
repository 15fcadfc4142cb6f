"""Development sessions: ``nox`` runs tests, lint and types; docs and bench on demand."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests", "lint", "types"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = ["3.11"]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the whole test suite (pass pytest options after ``--``)."""
    session.install("-e", ".[cv,test]")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff."""
    session.install("ruff")
    session.run("ruff", "check", ".", *session.posargs)
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def types(session: nox.Session) -> None:
    """Type-check src/ with mypy --strict."""
    session.install("-e", ".[cv,web]", "mypy")
    session.run("mypy", *session.posargs)


@nox.session(python=PYTHON, default=False)
def docs(session: nox.Session) -> None:
    """Build the documentation site, failing on broken links or pages."""
    session.install("mkdocs")
    session.run("mkdocs", "build", "--strict", "--site-dir", "build/site", *session.posargs)


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Throughput and latency against other SQLite queues, and CV extraction accuracy.

    ``nox -s bench`` runs the quick version; ``nox -s bench -- --full`` the long one.
    """
    session.install("-e", ".[cv,bench]")
    full = "--full" in session.posargs
    rest = [a for a in session.posargs if a != "--full"]
    session.run("python", "benchmarks/bench_queue.py", *([] if full else ["--quick"]), *rest)
    session.run("python", "benchmarks/bench_cv.py")


@nox.session(python=PYTHON, default=False)
def bench_pg(session: nox.Session) -> None:
    """litequeue on PostgreSQL beside Oban, procrastinate, PgQueuer, huey and raw psycopg.

    ``nox -s bench_pg`` starts a throwaway server (.ci/postgres) and stops it at the end;
    ``nox -s bench_pg -- --url postgresql://...`` uses yours; other options go after ``--`` too.
    The peers go into venvs of their own under benchmarks/.venvs/ (Oban needs Python 3.12),
    made on first use.
    """
    session.install("-e", ".[postgres]")
    own_server = any(a.startswith("--url") for a in session.posargs)
    args = [*session.posargs, *([] if own_server else ["--start-pg"])]
    session.run("python", "benchmarks/bench_pg.py", *args)

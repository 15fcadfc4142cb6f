"""Shared fixtures: CVs written by the package's own sample generator."""

from __future__ import annotations

from pathlib import Path

import pytest

from litequeue_cv.samples import Sample, generate


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    """Twelve generated CVs: three of each PDF and DOCX layout."""
    return generate(tmp_path_factory.mktemp("cv-samples"), 12, seed=20240607)


@pytest.fixture
def sample_of(samples: list[Sample]):  # type: ignore[no-untyped-def]
    """The first generated sample of a layout."""

    def pick(layout: str) -> Sample:
        return next(s for s in samples if s.layout == layout)

    return pick


@pytest.fixture
def write(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write bytes to a file with the given name and return its path."""

    def _write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return _write

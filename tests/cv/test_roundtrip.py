"""Field-level accuracy on the package's own generated CVs."""

from __future__ import annotations

import pytest

from litequeue_cv import extract
from litequeue_cv.samples import Sample


@pytest.fixture(scope="module")
def results(samples: list[Sample]) -> list[tuple[Sample, dict]]:  # type: ignore[type-arg]
    return [(s, extract(s.path).to_dict()) for s in samples]


def test_contact(results) -> None:  # type: ignore[no-untyped-def]
    for sample, got in results:
        want = sample.truth["contact"]
        assert got["contact"]["name"] == want["name"], sample.path.name
        assert got["contact"]["email"] == want["email"], sample.path.name
        assert got["contact"]["phone"] == want["phone"], sample.path.name
        assert got["contact"]["location"] == want["location"], sample.path.name
        assert got["contact"]["links"] == want["links"], sample.path.name


def test_work_history(results) -> None:  # type: ignore[no-untyped-def]
    keys = ("title", "company", "start", "end", "description")
    for sample, got in results:
        want = [{k: j[k] for k in keys} for j in sample.truth["work_history"]]
        assert [{k: j[k] for k in keys} for j in got["work_history"]] == want, sample.path.name


def test_education(results) -> None:  # type: ignore[no-untyped-def]
    keys = ("institution", "degree", "field", "start", "end")
    for sample, got in results:
        want = [{k: e[k] for k in keys} for e in sample.truth["education"]]
        assert [{k: e[k] for k in keys} for e in got["education"]] == want, sample.path.name


def test_lists_and_order(results) -> None:  # type: ignore[no-untyped-def]
    for sample, got in results:
        assert set(got["skills"]) == set(sample.truth["skills"]), sample.path.name
        assert got["languages"] == sample.truth["languages"], sample.path.name
        assert got["section_order"] == sample.truth["section_order"], sample.path.name


def test_sidebar_read_before_main_column(results) -> None:  # type: ignore[no-untyped-def]
    sidebar = next(got for s, got in results if s.layout == "pdf-sidebar")
    text = sidebar["raw_text"]
    assert text.index("Skills") < text.index("EXPERIENCE")


def test_confident_on_clean_files(results) -> None:  # type: ignore[no-untyped-def]
    for sample, got in results:
        assert got["parse_confidence"] >= 0.8, sample.path.name
        assert got["file_type"] == sample.path.suffix[1:]
        assert got["file_name"] == sample.path.name


def test_progress_stages(samples: list[Sample]) -> None:
    stages: list[str] = []
    extract(samples[0].path, progress=stages.append)
    assert stages == ["reading", "parsing", "done"]

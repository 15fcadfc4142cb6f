"""parse_confidence falls with each doubt, and every doubt is explained in warnings."""

from __future__ import annotations

from litequeue_cv._document import Line, SourceDoc
from litequeue_cv._parse import parse
from litequeue_cv._result import CVResult


def _parse(*lines: Line) -> CVResult:
    return parse(SourceDoc(lines=lines), file_name="cv.pdf", file_type="pdf")


def _h(text: str) -> Line:
    return Line(text=text, bold=True, size=12.0)


def _t(text: str) -> Line:
    return Line(text=text, size=10.0)


CLEAN = (
    Line(text="Betty Smith", bold=True, size=20.0),
    _t("betty@example.com | +44 20 7946 0958"),
    _h("WORK EXPERIENCE"),
    _t("Independent Consultant | British Council | 08/2002 - Present"),
    _t("Trainer | Council of Europe | 10/2001 - 02/2002"),
    _h("EDUCATION"),
    _t("PhD in Sociology | Brunel University | 1997 - 2001"),
    _h("SKILLS"),
    _t("Research methods, Teaching"),
)


def test_a_cleanly_read_cv_has_no_doubts() -> None:
    got = _parse(*CLEAN)
    assert got.warnings == ()
    assert got.parse_confidence == 1.0


def test_a_label_column_read_before_its_entries_lowers_confidence_and_says_why() -> None:
    # A Europass-like page whose left label column came out first: headings with
    # nothing under them, dates apart from the entries, no name at the top.
    got = _parse(
        _h("PERSONAL INFORMATION"),
        _h("WORK EXPERIENCE"),
        _t("08/2002 - Present"),
        _t("03/2002 - 07/2002"),
        _t("10/2001 - 02/2002"),
        _h("EDUCATION"),
        _h("LANGUAGES"),
        _h("SKILLS"),
        _t("betty@example.com"),
        _t("Independent consultant"),
        _t("British Council, 123 Bd Ney, Paris"),
    )
    assert got.parse_confidence < 0.5
    notes = " / ".join(got.warnings)
    assert "no name found" in notes
    assert "3 date ranges in the work history section but only" in notes
    assert "section headings have nothing under them" in notes


def test_each_missing_piece_lowers_confidence() -> None:
    full = _parse(*CLEAN).parse_confidence
    no_email = _parse(*(line for line in CLEAN if "@" not in line.text)).parse_confidence
    no_skills = _parse(*CLEAN[:-2]).parse_confidence
    assert no_email < full
    assert no_skills < full


def test_a_title_that_names_a_company_is_doubted() -> None:
    got = _parse(
        *CLEAN[:3],
        _t("黑科技公司 | 实习 | 2015 年 3 月 - 2015 年 5 月"),
        *CLEAN[5:],
    )
    assert any("does not read like one" in note for note in got.warnings)
    assert got.parse_confidence < _parse(*CLEAN).parse_confidence


def test_own_projects_left_out_of_the_jobs_are_not_doubted() -> None:
    got = _parse(
        *CLEAN[:5],
        _t("Proxy Tool | Jun 2014 - Present"),
        _t("Golang | personal project"),
        *CLEAN[5:],
    )
    assert len(got.work_history) == 2
    assert got.warnings == ()

# ruff: noqa: RUF001 -- CVs are written with typographic dashes
"""The pure parser: hand-made lines in, result out (no files)."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from litequeue_cv._dates import find_dates, is_well_formed
from litequeue_cv._document import Line, SourceDoc
from litequeue_cv._parse import parse

SCHEMA_KEYS = {
    "schema_version",
    "file_name",
    "file_type",
    "contact",
    "summary",
    "work_history",
    "education",
    "skills",
    "certifications",
    "languages",
    "other_sections",
    "section_order",
    "raw_text",
    "parse_confidence",
    "warnings",
    "extract_time_ms",
}


def _doc(*texts: str, bold: tuple[int, ...] = ()) -> SourceDoc:
    return SourceDoc(lines=tuple(Line(text=t, bold=i in bold) for i, t in enumerate(texts)))


def _parse(doc: SourceDoc) -> dict:  # type: ignore[type-arg]
    return parse(doc, file_name="cv.txt", file_type="txt").to_dict()


def test_plain_text_cv() -> None:
    got = _parse(
        _doc(
            "Ada Quill",
            "ada@example.com | +1 (415) 555-0101 | Boston, MA",
            "EXPERIENCE",
            "Staff Engineer, Widget Works Inc. - Boston",
            "March 2019 to Present",
            "- Led the platform team",
            "- Cut costs by 30%",
            "Software Engineer at Gizmo Labs (2015 - 2019)",
            "EDUCATION",
            "BSc in Physics, University of Bristol, 2011 - 2014",
            "SKILLS",
            "Python, Go, SQL",
            "LANGUAGES",
            "English (Native), French (B2)",
            "CERTIFICATIONS",
            "Certified Scrum Master – Scrum Alliance, 2020",
            "PUBLICATIONS",
            "A paper about queues (2021)",
        )
    )
    assert got["contact"]["name"] == "Ada Quill"
    assert got["contact"]["phone"] == "+1 (415) 555-0101"
    assert got["contact"]["location"] == "Boston, MA"
    jobs = [(j["title"], j["company"], j["start"], j["end"]) for j in got["work_history"]]
    assert jobs == [
        ("Staff Engineer", "Widget Works Inc.", "2019-03", "present"),
        ("Software Engineer", "Gizmo Labs", "2015", "2019"),
    ]
    assert got["work_history"][0]["description"] == "Led the platform team\nCut costs by 30%"
    edu = got["education"][0]
    assert (edu["degree"], edu["field"], edu["institution"]) == (
        "BSc",
        "Physics",
        "University of Bristol",
    )
    assert got["skills"] == ["Python", "Go", "SQL"]
    assert got["languages"] == [
        {"name": "English", "level": "Native"},
        {"name": "French", "level": "B2"},
    ]
    assert got["certifications"] == [
        {"name": "Certified Scrum Master", "issuer": "Scrum Alliance", "year": "2020"}
    ]
    assert got["other_sections"] == {"PUBLICATIONS": "A paper about queues (2021)"}
    assert got["section_order"] == [
        "contact",
        "work_history",
        "education",
        "skills",
        "languages",
        "certifications",
        "PUBLICATIONS",
    ]


def test_inline_and_synonym_headings() -> None:
    got = _parse(
        _doc(
            "Bo Lind",
            "Email: bo@example.se",
            "Core Competencies: Welding, CAD",
            "Employment History",
            "Foreman — Steelworks AB",
            "06/2018 - now",
            bold=(3, 4),
        )
    )
    assert got["skills"] == ["Welding", "CAD"]
    assert got["work_history"][0]["title"] == "Foreman"
    assert got["section_order"] == ["contact", "skills", "work_history"]


def test_confidence_falls_without_structure() -> None:
    good = _parse(
        _doc(
            "Ada Quill",
            "ada@example.com",
            "Experience",
            "Engineer, Acme",
            "2019 - 2020",
            "Education",
            "University of X",
            "2015",
            "Skills",
            "Go",
        )
    )
    thin = _parse(_doc("Jane Doe - jane.doe@example.com"))
    assert thin["parse_confidence"] < good["parse_confidence"]
    assert thin["warnings"]


@given(st.lists(st.text(alphabet=string.printable + "•–—éü", max_size=80), max_size=30))
@settings(max_examples=150, deadline=None)
def test_never_crashes(texts: list[str]) -> None:
    lines = tuple(Line(text=t, bold=len(t) % 3 == 0) for t in texts if t.strip())
    got = _parse(SourceDoc(lines=lines))
    assert set(got) == SCHEMA_KEYS
    assert set(got["contact"]) == {"name", "email", "phone", "location", "links"}
    assert 0.0 <= got["parse_confidence"] <= 1.0
    for entry in got["work_history"] + got["education"]:
        assert is_well_formed(entry["start"])
        assert is_well_formed(entry["end"])


@given(
    st.integers(1950, 2049),
    st.integers(1, 12),
    st.sampled_from(["{m:02d}/{y}", "{mon} {y}", "{mon}. {y}", "{y}-{m:02d}"]),
)
def test_dates_well_formed(year: int, month: int, fmt: str) -> None:
    mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][
        month - 1
    ]
    text = fmt.format(m=month, y=year, mon=mon) + " – Present"
    found = find_dates(text)
    assert found is not None
    assert found.start == f"{year}-{month:02d}"
    assert found.end == "present"


def test_phone_with_an_en_dash_or_masked_last_digits() -> None:
    got = _parse(_doc("Sample Person", "(416) 000 – 0000 | sp@example.com"))
    assert got["contact"]["phone"] == "(416) 000 – 0000"
    got = _parse(_doc("Sample Person", "sp@example.com · (+86) 131-221-87xxx"))
    assert got["contact"]["phone"] == "(+86) 131-221-87xxx"


def test_a_profile_sentence_under_the_header_is_the_summary() -> None:
    got = _parse(
        _doc(
            "John Doe",
            "jdoe | +33 6 12 34 56 78 | john.doe@me.org",
            "Data Analyst",
            "Experienced Data Analyst looking for a full time job starting from now",
            "Education",
            "MSc in Data Science, University of Leeds, 2018 - 2020",
            bold=(0, 4),
        )
    )
    assert got["summary"] == (
        "Experienced Data Analyst looking for a full time job starting from now"
    )
    assert got["section_order"] == ["contact", "summary", "education"]

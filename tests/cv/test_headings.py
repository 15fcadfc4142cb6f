# ruff: noqa: RUF001 -- CVs are written with typographic dashes
"""Section headings: other languages, English variants, and headings known by their look."""

from __future__ import annotations

import pytest

from litequeue_cv._document import Line, SourceDoc
from litequeue_cv._parse import parse
from litequeue_cv._sections import clean_text, split_sections
from litequeue_cv._vocab import section_key


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("Expérience professionnelle", "work_history"),
        ("Berufserfahrung", "work_history"),
        ("Experiencia laboral", "work_history"),
        ("Experiência Profissional", "work_history"),
        ("Esperienze lavorative", "work_history"),
        ("Werkervaring", "work_history"),
        ("Doświadczenie zawodowe", "work_history"),
        ("工作经历", "work_history"),
        ("实习/项目经历", "work_history"),
        ("職歴", "work_history"),
        ("Formation", "education"),
        ("Ausbildung", "education"),
        ("Formación académica", "education"),
        ("Istruzione e formazione", "education"),
        ("Opleiding", "education"),
        ("Wykształcenie", "education"),
        ("教育背景", "education"),
        ("学歴", "education"),
        ("Compétences", "skills"),
        ("IT-Kenntnisse", "skills"),
        ("IT 技能", "skills"),
        ("経験・スキル", "skills"),
        ("Skills and Tech", "skills"),
        ("Skills & Awards", "skills"),
        ("Langues", "languages"),
        ("Sprachkenntnisse", "languages"),
        ("Idiomas", "languages"),
        ("Języki obce", "languages"),
        ("Zertifikate", "certifications"),
        ("免許・資格", "certifications"),
        ("Über mich", "summary"),
        ("Relevant Work Experience", "work_history"),
        ("Volunteer Experience", "other"),
        ("Selected Honors", "other"),
        ("Projects & Associations", "other"),
        ("获奖情况", "other"),
        ("Links", "contact"),  # a block of profile links is part of the contact details
        ("Skill", "skills"),
        ("Other information", "other"),
        # a job title is not a heading because one of its words names a section
        ("Project Engineer", None),
        ("Volunteer Data Analyst", None),
    ],
)
def test_heading_vocabulary(heading: str, key: str | None) -> None:
    assert section_key(heading) == key


def test_icons_are_dropped_and_separate_items() -> None:
    assert clean_text("\uf085 IT 技能") == "IT 技能"
    assert clean_text("\uf0b7 Python") == "• Python"
    assert clean_text("\uf09b jdoe \U0001f57b +33 6 12 34 56 78") == "jdoe | +33 6 12 34 56 78"


def _line(text: str, size: float = 10.0, bold: bool = False) -> Line:
    return Line(text=text, size=size, bold=bold)


def test_unknown_headings_found_by_the_look_of_known_ones() -> None:
    # Headings set big and not bold, as some themes do; two are not in any vocabulary.
    lines = [
        _line("Jo Bloggs", size=25.0),
        _line("jo@example.com"),
        _line("Welcome to My Page", size=14.0),
        _line("A sentence about me."),
        _line("Experience", size=14.0),
        _line("Engineer, Acme – Leeds"),
        _line("Jan 2020 – Present"),
        _line("Invited Talks", size=14.0),
        _line("A talk (2023)"),
        _line("Skills", size=14.0),
        _line("Python, SQL"),
    ]
    headings = [s.heading for s in split_sections(lines)]
    assert headings == [None, "Welcome to My Page", "Experience", "Invited Talks", "Skills"]


def test_sub_headings_and_bold_job_titles_are_not_sections() -> None:
    # Main headings 16 pt bold; job titles 10 pt bold, like the known sub-headings
    # inside Skills ("Languages", "Tech Stack"): only the biggest look finds headings.
    lines = [
        _line("Jo Bloggs", size=30.0, bold=True),
        _line("Experience", size=16.0, bold=True),
        _line("Director of Data Science", bold=True),
        _line("2020 - Present", size=9.0, bold=True),
        _line("Acme Corp", size=8.0),
        _line("Skills", size=16.0, bold=True),
        _line("Communication, teamwork"),
        _line("Languages", bold=True),
        _line("English, French"),
        _line("Tech Stack", bold=True),
        _line("Python, SQL"),
    ]
    headings = [s.heading for s in split_sections(lines)]
    assert headings == [None, "Experience", "Skills", "Languages"]  # Tech Stack joins Skills


def test_a_languages_label_inside_skills_is_a_group_of_skills() -> None:
    doc = SourceDoc(
        lines=(
            Line(text="Jo Bloggs", bold=True, size=20.0),
            Line(text="SKILLS", bold=True),
            Line(text="Languages: Python, C++, Rust"),
            Line(text="Frameworks: PyTorch, JAX"),
        )
    )
    got = parse(doc, file_name="cv.txt", file_type="txt")
    assert got.skills == ("Python", "C++", "Rust", "PyTorch", "JAX")
    assert got.languages == ()
    assert got.section_order == ("contact", "skills")


def test_a_table_row_with_the_heading_in_its_first_cell() -> None:
    # Word tables used for layout: the reader joins a row's cells with " | ".
    doc = SourceDoc(
        lines=(
            Line(text="Ana Núñez", bold=True, size=20.0),
            Line(text="Technical Skills | Python, ANSYS, GD&T", bold=True),
            Line(text="Languages | English (Fluent), Polish (Intermediate)", bold=True),
        )
    )
    got = parse(doc, file_name="cv.docx", file_type="docx")
    assert got.skills == ("Python", "ANSYS", "GD&T")
    assert [(lang.name, lang.level) for lang in got.languages] == [
        ("English", "Fluent"),
        ("Polish", "Intermediate"),
    ]
    assert got.section_order == ("contact", "skills", "languages")


def test_capitals_set_headings_apart_when_nothing_is_bold() -> None:
    lines = [
        _line("Betty Smith", size=13.0),
        _line("WORK EXPERIENCE", size=9.0),
        _line("10/2001–02/2002", size=9.0),
        _line("Internship", size=11.0),
        _line("European Commission", size=9.0),
        _line("ADDITIONAL INFORMATION", size=9.0),
        _line("Publications", size=9.0),
        _line("A paper about youth work (2001)", size=9.0),
    ]
    headings = [s.heading for s in split_sections(lines)]
    assert headings == [None, "WORK EXPERIENCE", "ADDITIONAL INFORMATION"]


def test_a_heading_broken_by_a_stray_space_is_spelled_as_its_name() -> None:
    lines = [
        _line("Jo Bloggs", size=20.0, bold=True),
        _line("VOLUNTEERIN G", bold=True),
        _line("Helped at the food bank (2019)"),
    ]
    assert [s.heading for s in split_sections(lines)] == [None, "VOLUNTEERING"]

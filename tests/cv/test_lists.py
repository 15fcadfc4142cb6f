"""Languages and certifications as real CVs list them."""

from __future__ import annotations

import time

from litequeue_cv._document import Line, SourceDoc
from litequeue_cv._lists import parse_certifications, parse_languages, parse_skills
from litequeue_cv._parse import parse
from litequeue_cv._sections import Item


def _items(*texts: str) -> list[Item]:
    return [Item(text=t, bullet=False, line=Line(text=t)) for t in texts]


def test_languages_with_the_level_in_plain_words_and_on_the_next_line() -> None:
    got = parse_languages(_items("english mother tongue", "spanish & italian", "fluency"))
    assert [(lang.name, lang.level) for lang in got] == [
        ("english", "mother tongue"),
        ("spanish", "fluency"),
        ("italian", "fluency"),
    ]


def test_languages_with_levels_in_brackets_and_after_a_dash() -> None:
    got = parse_languages(_items("English (Native), French (B2)"))
    assert [(lang.name, lang.level) for lang in got] == [("English", "Native"), ("French", "B2")]
    got = parse_languages(_items("英语 - 熟练"))
    assert [(lang.name, lang.level) for lang in got] == [("英语", "熟练")]


def test_certifications_with_a_leading_year_a_status_or_an_issuer_after_a_comma() -> None:
    got = parse_certifications(
        _items(
            "2022 | AWS Certified Security, Amazon Web Services (AWS)",
            "2018 | 12 | TOEIC 920",
            "SQL Fundamentals Track, Datacamp",
            "Chartered Financial Analyst (CFA) - Charterholder",
            "Oracle Certified Professional, Java SE 8 Programmer",
            "チームでの協力を大切にし、技術的なリーダーシップを発揮しながら、組織の成長に貢献していきたいと思います。",
        )
    )
    assert [(c.name, c.issuer, c.year) for c in got] == [
        ("AWS Certified Security", "Amazon Web Services (AWS)", "2022"),
        ("TOEIC 920", None, "2018"),
        ("SQL Fundamentals Track", "Datacamp", None),
        ("Chartered Financial Analyst (CFA)", None, None),
        ("Oracle Certified Professional, Java SE 8 Programmer", None, None),
    ]


def test_labelled_lines_outside_their_section_go_where_they_belong() -> None:
    doc = SourceDoc(
        lines=(
            Line(text="Luke Lee", bold=True, size=20.0),
            Line(text="SUMMARY", bold=True),
            Line(text="Reliable, a fast learner", list_item=True),
            Line(text="Computer skills: Windows, Mac, Linux", list_item=True),
            Line(text="SKILLS", bold=True),
            Line(text="Tools: Git, Docker"),
            Line(text="• Awards: First prize (2023)"),
            Line(text="OTHER", bold=True),
            Line(text="• 语言: 英语 - 熟练"),
            Line(text="• Blog: http://blog.example.me"),
        )
    )
    got = parse(doc, file_name="cv.docx", file_type="docx")
    assert got.skills == ("Windows", "Mac", "Linux", "Git", "Docker")
    assert [(lang.name, lang.level) for lang in got.languages] == [("英语", "熟练")]
    assert got.section_order == ("contact", "summary", "skills", "OTHER")


def test_a_templates_placeholder_is_not_a_skill() -> None:
    doc = SourceDoc(
        lines=(
            Line(text="Jo Bloggs", bold=True, size=20.0),
            Line(text="SKILLS", bold=True),
            Line(text="Platforms: Linux, xxx"),
        )
    )
    assert parse(doc, file_name="cv.pdf", file_type="pdf").skills == ("Linux",)


def test_a_europass_language_grid_among_the_skills() -> None:
    doc = SourceDoc(
        lines=(
            Line(text="Betty Smith", size=13.0),
            Line(text="PERSONAL SKILLS", size=9.0),
            Line(text="Mother tongue(s)", size=9.0),
            Line(text="English", size=9.0),
            Line(text="Other language(s)", size=9.0),
            Line(text="UNDERSTANDING | SPEAKING | WRITING", size=7.0),
            Line(text="Listening | Reading | Spoken interaction | Spoken production", size=8.0),
            Line(text="French", size=9.0),
            Line(text="C1 | C2 | B2 | C1 | C2", size=9.0),
            Line(text="Dalf C1", size=8.0),
            Line(text="German", size=9.0),
            Line(text="A2 | A2 | A2 | A2 | A2", size=9.0),
            Line(text="Levels: A1 and A2: Basic user - B1 and B2: Independent user", size=7.5),
            Line(text="Communication skills", size=9.0),
            Line(
                text="- team work: I have worked in various types of teams from research teams "
                "to national league hockey, and coached my university team",
                size=9.0,
            ),
            Line(text="Digital skills", size=9.0),
            Line(text="- experience with HTML", size=9.0),
            Line(text="Driving licence", size=9.0),
            Line(text="A, B", size=9.0),
        )
    )
    got = parse(doc, file_name="cv.pdf", file_type="pdf")
    assert [(lang.name, lang.level) for lang in got.languages] == [
        ("English", "Mother tongue"),
        ("French", "C1/C2/B2/C1/C2"),
        ("German", "A2/A2/A2/A2/A2"),
    ]
    assert got.skills == ("team work", "experience with HTML")


def test_centred_sidebar_lines_are_items_of_their_own() -> None:
    items = [
        Item(text=t, bullet=False, line=Line(text=t, x0=x))
        for t, x in (("JavaScript", 98.5), ("Python, C++, PHP", 63.2), ("CSS3 & HTML5", 73.7))
    ]
    assert parse_skills(items) == ["JavaScript", "Python", "C++", "PHP", "CSS3 & HTML5"]


def test_a_second_skills_like_heading_is_a_section_of_its_own() -> None:
    doc = SourceDoc(
        lines=(
            Line(text="John Smith", bold=True, size=20.0),
            Line(text="programming", bold=True, size=14.0),
            Line(text="Python, C++"),
            Line(text="communication skills", bold=True, size=14.0),
            Line(text="2011 | Oral Presentation | California Business Conference"),
        )
    )
    got = parse(doc, file_name="cv.pdf", file_type="pdf")
    assert got.skills == ("Python", "C++")
    assert got.section_order == ("contact", "skills", "communication skills")


def test_rows_of_tags_ratings_and_a_footnote_under_the_list() -> None:
    def item(text: str, size: float = 10.0) -> Item:
        return Item(text=text, bullet=False, line=Line(text=text, size=size, x0=400.0))

    items = [
        item("Go | Python | Node.js | TypeScript"),
        item("JavaScript | SQL"),
        item("lovely 4 narcissistic 3"),
        item("(*)[The skill scale is from 0 (Fundamental Awareness)", size=7.0),
        item("to 6 (Expert).]", size=7.0),
    ]
    assert parse_skills(items) == [
        "Go",
        "Python",
        "Node.js",
        "TypeScript",
        "JavaScript",
        "SQL",
        "lovely",
        "narcissistic",
    ]


def test_groups_under_a_skills_heading_go_where_they_belong() -> None:
    doc = SourceDoc(
        lines=(
            Line(text="John Doe", bold=True, size=32.0),
            Line(text="Skills", bold=True, size=16.0),
            Line(text="Languages | English | French | Chinese", size=10.0),
            Line(text="Tech Stack | Tableau | Python (Pandas/Numpy) | PostgreSQL", size=10.0),
            Line(text="Personal Interests | Swimming | Cooking", size=10.0),
            Line(text="John Doe | Curriculum vitae", size=8.0),
        )
    )
    got = parse(doc, file_name="cv.pdf", file_type="pdf")
    assert got.skills == ("Tableau", "Python (Pandas/Numpy)", "PostgreSQL")
    assert [lang.name for lang in got.languages] == ["English", "French", "Chinese"]
    assert got.section_order == ("contact", "skills")


def test_a_long_line_of_numbers_and_words_is_read_in_linear_time() -> None:
    # A skill bar's values are found token by token; a regular expression over the
    # whole line backtracked exponentially on text like this.
    text = "a 1 b 2 " * 5000 + "x"
    started = time.perf_counter()
    skills = parse_skills([Item(text=text, bullet=False, line=Line(text=text))])
    assert time.perf_counter() - started < 2.0
    assert skills == []  # one long sentence, not a list


def test_a_language_in_the_grid_and_in_a_languages_section_is_listed_once() -> None:
    doc = SourceDoc(
        lines=(
            Line(text="Betty Smith", size=13.0),
            Line(text="PERSONAL SKILLS", size=9.0),
            Line(text="Mother tongue(s)", size=9.0),
            Line(text="English", size=9.0),
            Line(text="LANGUAGES", size=9.0),
            Line(text="English (native), French (B2)", size=9.0),
        )
    )
    got = parse(doc, file_name="cv.pdf", file_type="pdf")
    assert [lang.name for lang in got.languages] == ["English", "French"]

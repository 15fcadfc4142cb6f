"""PDF pages read as a person reads them, on PDFs drawn here with fpdf2: word
spaces without space glyphs, columns and sidebars, right-aligned dates kept on
their row, running heads and browser banners dropped, invisible text ignored,
icon-only links kept."""

from __future__ import annotations

import re
from pathlib import Path

from fpdf import FPDF

from litequeue_cv.readers import read_document

_SIZE = 10.0


def _pdf() -> FPDF:
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=_SIZE)
    return pdf


def _words_apart(pdf: FPDF, x: float, y: float, text: str) -> None:
    """Each word drawn on its own with a fifth of an em between, as LaTeX does."""
    for word in text.split():
        pdf.text(x, y, word)
        x += pdf.get_string_width(word) + 0.22 * _SIZE


def _right(pdf: FPDF, x1: float, y: float, text: str) -> None:
    pdf.text(x1 - pdf.get_string_width(text), y, text)


def _lines(pdf: FPDF, tmp_path: Path) -> list[str]:
    path = tmp_path / "cv.pdf"
    pdf.output(str(path))
    return [line.text for line in read_document(path)[1].lines]


def test_words_drawn_without_space_glyphs_keep_their_spaces(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    _words_apart(pdf, 60, 100, "Ph.D. candidate in Computer Science")
    pdf.set_font("Helvetica", "B", _SIZE)
    _words_apart(pdf, 60, 120, "Senior Data Engineer")
    path = tmp_path / "cv.pdf"
    pdf.output(str(path))
    lines = read_document(path)[1].lines
    assert [line.text for line in lines] == [
        "Ph.D. candidate in Computer Science",
        "Senior Data Engineer",
    ]
    assert lines[1].bold
    assert not lines[0].bold


def test_left_sidebar_and_main_column_are_not_interleaved(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", size=22)
    pdf.text(40, 60, "Dana Whitfield")
    pdf.set_font("Helvetica", size=_SIZE)
    side = ["Contact", "dana@example.org", "Skills", "Python", "SQL", "Languages", "French"]
    for i, text in enumerate(side):
        pdf.text(40, 120 + 16 * i, text)
    main = [
        "Experience",
        "Data Engineer at Contoso Ltd in Leeds since 2019",
        "Built the pipelines that feed the reporting warehouse",
        "Analyst at Fabrikam Inc from 2015 to 2019",
        "Education",
        "BSc Mathematics, University of Leeds",
    ]
    for i, text in enumerate(main):
        pdf.text(200, 124 + 19 * i, text)
    assert _lines(pdf, tmp_path) == ["Dana Whitfield", *side, *main]


def test_right_sidebar_is_read_after_the_main_column(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    main = [f"Main column paragraph line number {i} with enough words" for i in range(8)]
    side = ["Skills", "Rust", "Go", "Kubernetes"]
    for i, text in enumerate(main):
        pdf.text(40, 100 + 15 * i, text)
    for i, text in enumerate(side):
        pdf.text(420, 104 + 21 * i, text)
    assert _lines(pdf, tmp_path) == [*main, *side]


def test_right_aligned_location_and_dates_stay_with_their_title(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    pdf.text(50, 100, "Experience")
    y = 120.0
    for title, place, dates in (
        ("Contoso Ltd, Data Engineer", "Leeds, UK", "Mar 2019 - present"),
        ("Fabrikam Inc, Analyst", "York, UK", "Jan 2015 - Feb 2019"),
    ):
        pdf.text(50, y, title)
        _right(pdf, 545, y, place)
        pdf.text(56, y + 13, "- Built the reporting warehouse used by")
        _right(pdf, 545, y + 13, dates)
        pdf.text(64, y + 26, "every team in the company")
        y += 50
    assert _lines(pdf, tmp_path) == [
        "Experience",
        "Contoso Ltd, Data Engineer | Leeds, UK | Mar 2019 - present",
        "- Built the reporting warehouse used by",
        "every team in the company",
        "Fabrikam Inc, Analyst | York, UK | Jan 2015 - Feb 2019",
        "- Built the reporting warehouse used by",
        "every team in the company",
    ]


def test_a_grid_of_names_and_levels_stays_row_by_row(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    for i, (name, level) in enumerate((("English", "Native"), ("German", "B2"), ("Dutch", "A2"))):
        pdf.text(50, 100 + 14 * i, name)
        _right(pdf, 545, 100 + 14 * i, level)
    assert _lines(pdf, tmp_path) == ["English | Native", "German | B2", "Dutch | A2"]


def test_browser_print_banners_and_page_numbers_go_to_the_margin(tmp_path: Path) -> None:
    pdf = _pdf()
    for page in (1, 2):
        pdf.add_page()
        pdf.set_font("Helvetica", size=8)
        pdf.text(24, 20, "12/7/26, 9:41 AM")
        pdf.text(280, 20, "Dana Whitfield - Resume")
        pdf.text(24, 830, "file:///home/dana/resume.html")
        _right(pdf, 570, 830, f"{page}/2")
        pdf.set_font("Helvetica", size=_SIZE)
        pdf.text(50, 200, f"Body text on page {page}")
    path = tmp_path / "cv.pdf"
    pdf.output(str(path))
    doc = read_document(path)[1]
    assert [line.text for line in doc.lines] == ["Body text on page 1", "Body text on page 2"]
    assert "file:///home/dana/resume.html | 1/2" in {line.text for line in doc.margin_lines}


def test_text_nobody_can_see_is_ignored(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    pdf.text(50, 100, "Dana Whitfield")
    pdf.set_text_color(255, 255, 255)
    pdf.text(50, 130, "Kubernetes Terraform Rust Python")
    pdf.set_fill_color(20, 40, 90)
    pdf.rect(45, 150, 200, 20, style="F")
    pdf.text(50, 164, "Experience")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", size=2)
    pdf.text(50, 200, "machine learning expert leadership")
    pdf.set_font("Helvetica", size=_SIZE)
    pdf.text(50, 220, "Data Engineer")
    assert _lines(pdf, tmp_path) == ["Dana Whitfield", "Experience", "Data Engineer"]


def test_icon_only_links_are_kept(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    pdf.text(50, 100, "Dana Whitfield")
    pdf.link(50, 110, 12, 12, "https://github.com/danawhitfield")
    pdf.link(70, 110, 12, 12, "https://www.linkedin.com/in/danawhitfield")
    path = tmp_path / "cv.pdf"
    pdf.output(str(path))
    links = read_document(path)[1].links
    assert "https://github.com/danawhitfield" in links
    assert "https://www.linkedin.com/in/danawhitfield" in links


def test_two_columns_under_a_header_that_crosses_the_gutter(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", size=20)
    pdf.text(40, 50, "Dana Whitfield")
    pdf.set_font("Helvetica", size=_SIZE)
    pdf.text(40, 66, "dana@example.org   12 Long Street Name, Some Quarter, 00000 County")
    pdf.text(420, 66, "Leeds, UK")
    left = [f"Left column line {i} about the work history" for i in range(8)]
    right = ["Skills", "Python", "SQL", "Languages", "French", "German"]
    for i, text in enumerate(left):
        pdf.text(40, 110 + 15 * i, text)
    for i, text in enumerate(right):
        pdf.text(420, 112 + 19 * i, text)
    lines = _lines(pdf, tmp_path)
    assert lines[:2] == [
        "Dana Whitfield",
        "dana@example.org 12 Long Street Name, Some Quarter, 00000 County | Leeds, UK",
    ]
    assert lines[2:] == [*left, *right]


def test_a_gutter_of_plain_labels_is_read_label_then_content(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    y = 100.0
    for label, content in (
        ("WORK EXPERIENCE", ["Data Engineer", "Contoso Ltd, Leeds", "Built the warehouse"]),
        ("03/2015-02/2019", ["Analyst", "Fabrikam Inc, York", "Wrote the reports"]),
        ("EDUCATION", ["BSc Mathematics", "University of Leeds", "First class honours"]),
    ):
        _right(pdf, 170, y + 4, label)  # a small label sits lower than the title
        for i, text in enumerate(content):
            pdf.text(185, y + 14 * i, text)
        y += 70
    assert _lines(pdf, tmp_path) == [
        "WORK EXPERIENCE",
        "Data Engineer",
        "Contoso Ltd, Leeds",
        "Built the warehouse",
        "03/2015-02/2019",
        "Analyst",
        "Fabrikam Inc, York",
        "Wrote the reports",
        "EDUCATION",
        "BSc Mathematics",
        "University of Leeds",
        "First class honours",
    ]


def test_the_name_above_a_left_sidebar_is_read_first(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", size=30)
    pdf.text(200, 60, "Dana Whitfield")
    pdf.set_font("Helvetica", size=_SIZE)
    pdf.text(200, 80, "Data Engineer")
    side = ["contact", "dana@example.org", "Leeds, UK", "languages", "French"]
    for i, text in enumerate(side):
        pdf.text(40, 130 + 14 * i, text)
    main = [f"Main column line {i} about work and study" for i in range(7)]
    for i, text in enumerate(main):
        pdf.text(200, 132 + 15 * i, text)
    assert _lines(pdf, tmp_path) == ["Dana Whitfield", "Data Engineer", *side, *main]


def test_a_date_column_close_to_its_text_is_a_piece_of_the_row(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    y = 100.0
    for dates, title in (
        ("Sept 2018 - May 2023", "Princeton University, PhD in Computer Science"),
        ("May 2022 - Aug 2022", "Research Intern, NVIDIA Research"),
    ):
        _right(pdf, 170, y, dates)  # 6 pt before the text: less than the usual gap
        pdf.text(176, y, title)
        pdf.text(176, y + 14, "- Thesis on efficient neural architecture search")
        pdf.text(176, y + 28, "- Advised by a professor of computer science")
        y += 50
    assert _lines(pdf, tmp_path) == [
        "Sept 2018 - May 2023 | Princeton University, PhD in Computer Science",
        "- Thesis on efficient neural architecture search",
        "- Advised by a professor of computer science",
        "May 2022 - Aug 2022 | Research Intern, NVIDIA Research",
        "- Thesis on efficient neural architecture search",
        "- Advised by a professor of computer science",
    ]


def test_a_page_stored_turned_is_read_upright(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    lines = [f"Line {i} of a landscape page" for i in range(4)]
    for i, text in enumerate(lines):
        pdf.text(50, 100 + 20 * i, text)
    data = bytes(pdf.output())
    turned = re.sub(rb"/Type /Page(?!s)", b"/Type /Page /Rotate 90", data, count=1)
    assert turned != data
    path = tmp_path / "cv.pdf"
    path.write_bytes(turned)
    assert [line.text for line in read_document(path)[1].lines] == lines


def test_text_drawn_running_upwards_is_read_upright(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    lines = [f"Line {i} written upwards" for i in range(4)]
    with pdf.rotation(90, 300, 400):
        for i, text in enumerate(lines):
            pdf.text(200, 300 + 20 * i, text)
    assert _lines(pdf, tmp_path) == lines


def _bold(pdf: FPDF, size: float, x: float, y: float, text: str) -> None:
    pdf.set_font("Helvetica", "B", size)
    pdf.text(x, y, text)
    pdf.set_font("Helvetica", size=_SIZE)


def test_gutter_headings_wrapped_beside_their_content_under_a_header(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    _bold(pdf, 20, 57, 70, "Samuel Hughes - Senior Product Designer")
    pdf.text(57, 90, "samuel@example.org | +1 646 555 3422 | New York, NY")
    y = 130.0
    for first, second, content in (
        ("Professional", "Summary", ["Designer with nine years of experience", "in small teams"]),
        ("Work", "Experience", ["Senior Designer, Brightpath", "May 2019 to August 2022"]),
        ("Technical", "Skills", ["Figma, Prototyping", "User research"]),
    ):
        _bold(pdf, 13, 57, y, first)
        _bold(pdf, 13, 57, y + 15, second)
        for i, text in enumerate(content):
            pdf.text(176, y + 13 * i, text)
        y += 50
    assert _lines(pdf, tmp_path) == [
        "Samuel Hughes - Senior Product Designer",
        "samuel@example.org | +1 646 555 3422 | New York, NY",
        "Professional Summary",
        "Designer with nine years of experience",
        "in small teams",
        "Work Experience",
        "Senior Designer, Brightpath",
        "May 2019 to August 2022",
        "Technical Skills",
        "Figma, Prototyping",
        "User research",
    ]


def test_a_lone_gutter_heading_is_not_joined_to_its_content(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    _bold(pdf, 13, 57, 100, "Publications")
    pdf.text(176, 100, "Rossi, P. (2022). Scaling feature stores.")
    pdf.text(176, 114, "Reid, T. (2021). Measuring design debt.")
    assert _lines(pdf, tmp_path) == [
        "Publications",
        "Rossi, P. (2022). Scaling feature stores.",
        "Reid, T. (2021). Measuring design debt.",
    ]


def test_a_tall_glyph_beside_two_lines_does_not_merge_them(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", size=26)
    pdf.text(430, 112, "*")
    pdf.set_font("Helvetica", size=_SIZE)
    pdf.text(450, 100, "(123) 456-7890")
    pdf.text(450, 112, "bwayne@email.com")
    lines = _lines(pdf, tmp_path)
    assert lines[-2].endswith("(123) 456-7890")
    assert lines[-1] == "bwayne@email.com"


def test_a_bold_title_keeps_its_smaller_right_aligned_dates(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    for i in range(3):
        _bold(pdf, 9.4, 28, 100 + 40 * i, "Senior Software Engineer")
        pdf.set_font("Helvetica", size=7.8)
        _right(pdf, 360, 100 + 40 * i, "Jan 2023 - Present")
        pdf.set_font("Helvetica", size=_SIZE)
        pdf.text(40, 114 + 40 * i, "- Designed the fraud detection pipeline")
    assert _lines(pdf, tmp_path)[:2] == [
        "Senior Software Engineer | Jan 2023 - Present",
        "- Designed the fraud detection pipeline",
    ]


def test_bold_gutter_headings_under_a_header_line_that_stops_short(tmp_path: Path) -> None:
    pdf = _pdf()
    pdf.add_page()
    _bold(pdf, 20, 57, 70, "Sofia Okafor - Financial Controller")
    pdf.text(57, 90, "sofia@example.com | +1 512 555 9746 | Austin, TX")
    pdf.text(57, 104, "https://okafor.io")
    expected = [
        "Sofia Okafor - Financial Controller",
        "sofia@example.com | +1 512 555 9746 | Austin, TX",
        "https://okafor.io",
    ]
    y = 124.0  # closer under the header than the sections are to each other
    for heading, content in (
        ("SUMMARY", ["Finance professional with fourteen years", "of experience"]),
        ("EXPERIENCE", ["Financial Controller, Stark Logistics", "Oct 2023 - Current"]),
        ("EDUCATION", ["Trinity College Dublin", "BA Accounting"]),
        ("SKILLS", ["SAP, Excel", "IFRS"]),
    ):
        _bold(pdf, 13, 57, y, heading)
        pdf.set_font("Helvetica", "B", 11)
        pdf.text(176, y, content[0])
        pdf.set_font("Helvetica", size=_SIZE)
        pdf.text(176, y + 14, content[1])
        expected += [heading, *content]
        y += 45
    assert _lines(pdf, tmp_path) == expected

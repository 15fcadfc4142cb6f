"""Readers on files written here: DOCX structure, PDF links and running heads, text."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn

from litequeue_cv.readers import read_document


def _hyperlink(paragraph, url: str, text: str) -> None:  # type: ignore[no-untyped-def]
    rid = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = text
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


_WPS = 'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'


def _text_box(paragraph, text: str) -> None:  # type: ignore[no-untyped-def]
    xml = (
        f"<w:r {nsdecls('w', 'wp', 'a')} {_WPS}><w:drawing><wp:inline><a:graphic>"
        '<a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        f"<wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p>"
        "</w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:inline>"
        "</w:drawing></w:r>"
    )
    paragraph._p.append(parse_xml(xml))


def test_docx_order_tables_boxes_links_headers(tmp_path: Path) -> None:
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "Page header text"
    d.add_paragraph("First paragraph")
    outer = d.add_table(rows=1, cols=2)
    outer.cell(0, 0).paragraphs[0].text = "Left cell"
    inner = outer.cell(0, 1).add_table(rows=1, cols=1)
    inner.cell(0, 0).paragraphs[0].text = "Nested cell"
    p = d.add_paragraph("Profile: ")
    _hyperlink(p, "https://github.com/someone", "github")
    _text_box(d.add_paragraph("Before box"), "Inside a text box")
    d.add_heading("Experience", level=1)
    d.add_paragraph("Did things", style="List Bullet")
    path = tmp_path / "cv.docx"
    d.save(str(path))

    kind, doc = read_document(path)
    texts = [line.text for line in doc.lines]
    assert kind == "docx"
    assert texts == [
        "Page header text",
        "First paragraph",
        "Left cell",
        "Nested cell",
        "Profile: github",
        "Before box",
        "Inside a text box",
        "Experience",
        "Did things",
    ]
    assert doc.links == ("https://github.com/someone",)
    assert [line.text for line in doc.margin_lines] == ["Page header text"]
    by_text = {line.text: line for line in doc.lines}
    assert by_text["Experience"].heading_style
    assert by_text["Did things"].list_item


def test_pdf_links_bullets_and_running_heads(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    for page in (1, 2):
        pdf.add_page()
        pdf.set_font("Helvetica", size=9)
        pdf.set_xy(10, 5)
        pdf.cell(0, 5, "Jane Doe - Curriculum Vitae")
        pdf.set_xy(10, 285)
        pdf.cell(0, 5, f"Page {page} of 2")
        pdf.set_font("Helvetica", size=11)
        pdf.set_xy(10, 40)
        pdf.cell(0, 6, f"Body text on page {page}")
    pdf.set_xy(10, 60)
    pdf.cell(0, 6, "My site", link="https://example.org/me")
    path = tmp_path / "cv.pdf"
    pdf.output(str(path))

    kind, doc = read_document(path)
    texts = [line.text for line in doc.lines]
    assert kind == "pdf"
    assert texts == ["Body text on page 1", "Body text on page 2", "My site"]
    assert "https://example.org/me" in doc.links
    assert {line.text for line in doc.margin_lines} >= {"Page 1 of 2", "Page 2 of 2"}
    assert all(line.page in (1, 2) for line in doc.lines)


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "cv.txt"
    path.write_text("Jane Doe\n\n  jane@example.com \t +44 20 7946 0000\n", encoding="utf-8")
    kind, doc = read_document(path)
    assert kind == "txt"
    assert [line.text for line in doc.lines] == ["Jane Doe", "jane@example.com | +44 20 7946 0000"]

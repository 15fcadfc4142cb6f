"""DOCX as a person reads it: page-header contact blocks, tabs, line breaks,
separator symbols, layout tables, list numbering and text boxes."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from litequeue_cv import extract
from litequeue_cv.readers import read_document


def _save(d: docx.document.Document, tmp_path: Path) -> Path:
    path = tmp_path / "cv.docx"
    d.save(str(path))
    return path


def _run_xml(inner: str) -> str:
    return f"<w:r {nsdecls('w')}>{inner}</w:r>"


def test_contact_block_only_in_the_page_header_is_read_first(tmp_path: Path) -> None:
    d = docx.Document()
    header = d.sections[0].header
    header.paragraphs[0].text = "Dana Whitfield"
    header.add_paragraph("dana.whitfield@example.org\t+1 416 555 0199")
    d.add_heading("Experience", level=1)
    d.add_paragraph("Analyst at Northwind Traders")
    doc = read_document(_save(d, tmp_path))[1]
    texts = [line.text for line in doc.lines]
    assert texts[:2] == ["Dana Whitfield", "dana.whitfield@example.org | +1 416 555 0199"]
    result = extract(tmp_path / "cv.docx")
    assert result.contact.email == "dana.whitfield@example.org"


def test_first_page_header_wins_when_the_first_page_has_its_own(tmp_path: Path) -> None:
    d = docx.Document()
    section = d.sections[0]
    section.different_first_page_header_footer = True
    section.first_page_header.paragraphs[0].text = "Dana Whitfield"
    section.header.paragraphs[0].text = "Dana Whitfield - page 2"
    d.add_paragraph("Body")
    doc = read_document(_save(d, tmp_path))[1]
    assert [line.text for line in doc.lines] == ["Dana Whitfield", "Body"]
    assert {line.text for line in doc.margin_lines} == {"Dana Whitfield", "Dana Whitfield - page 2"}


def test_tabs_breaks_and_symbols_split_a_paragraph(tmp_path: Path) -> None:
    d = docx.Document()
    p = d.add_paragraph()
    p._p.append(parse_xml(_run_xml("<w:t>Team Lead</w:t><w:tab/><w:tab/><w:tab/>")))
    p._p.append(parse_xml(_run_xml("<w:t>Mar 2019 - Present</w:t><w:br/>")))
    p._p.append(parse_xml(_run_xml("<w:t>Northwind Traders</w:t><w:tab/>")))
    q = d.add_paragraph()
    q._p.append(parse_xml(_run_xml("<w:t>12 Elm Road</w:t>")))
    q._p.append(parse_xml(_run_xml('<w:t xml:space="preserve">  </w:t>')))
    q._p.append(parse_xml(_run_xml('<w:sym w:font="Wingdings" w:char="F09F"/>')))
    q._p.append(parse_xml(_run_xml('<w:t xml:space="preserve">  Leeds</w:t>')))
    d.add_paragraph("\t\t")
    doc = read_document(_save(d, tmp_path))[1]
    assert [line.text for line in doc.lines] == [
        "Team Lead | Mar 2019 - Present",
        "Northwind Traders",
        "12 Elm Road | Leeds",
    ]


def test_layout_table_rows_read_in_order_and_short_rows_joined(tmp_path: Path) -> None:
    d = docx.Document()
    grid = d.add_table(rows=2, cols=2)
    grid.cell(0, 0).paragraphs[0].text = "2016 - 2019"
    grid.cell(0, 1).paragraphs[0].text = "Data Engineer, Contoso"
    grid.cell(1, 0).paragraphs[0].text = "2012 - 2016"
    grid.cell(1, 1).paragraphs[0].text = "Analyst, Fabrikam"
    label = d.add_table(rows=1, cols=2)
    label.cell(0, 0).paragraphs[0].add_run("Languages").bold = True
    label.cell(0, 1).paragraphs[0].text = "French (C1), German (B2)"
    skills = d.add_table(rows=1, cols=2)
    skills.cell(0, 0).paragraphs[0].text = "Key Skills"
    long_list = ", ".join(["Patient Assessment", "Critical Care", "Infection Control"] * 3)
    skills.cell(0, 1).paragraphs[0].text = long_list
    page = d.add_table(rows=1, cols=2)
    side, main = page.cell(0, 0), page.cell(0, 1)
    side.paragraphs[0].text = "Skills"
    side.add_paragraph("Python")
    main.paragraphs[0].text = "Experience"
    main.add_paragraph("Built pipelines")
    doc = read_document(_save(d, tmp_path))[1]
    assert [line.text for line in doc.lines] == [
        "2016 - 2019 | Data Engineer, Contoso",
        "2012 - 2016 | Analyst, Fabrikam",
        "Languages",
        "French (C1), German (B2)",
        "Key Skills",
        long_list,
        "Skills",
        "Python",
        "Experience",
        "Built pipelines",
    ]


def test_numbered_items_and_text_boxes(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_paragraph("Shipped the billing service", style="List Number")
    box = (
        f"<w:r {nsdecls('w', 'wp', 'a')} "
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        "<w:drawing><wp:inline><a:graphic><a:graphicData "
        'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        "<wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>Languages</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>French</w:t><w:tab/><w:t>C1</w:t></w:r></w:p>"
        "</w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:inline>"
        "</w:drawing></w:r>"
    )
    p = d.add_paragraph("Profile")
    p._p.append(parse_xml(box))
    doc = read_document(_save(d, tmp_path))[1]
    by_text = {line.text: line for line in doc.lines}
    assert [line.text for line in doc.lines] == [
        "Shipped the billing service",
        "Profile",
        "Languages",
        "French | C1",
    ]
    assert by_text["Shipped the billing service"].list_item


def test_links_written_as_hyperlink_fields_are_kept(tmp_path: Path) -> None:
    d = docx.Document()
    p = d.add_paragraph()
    for inner in (
        '<w:fldChar w:fldCharType="begin"/>',
        '<w:instrText xml:space="preserve"> HYPERLINK "https://github.com/dana" </w:instrText>',
        '<w:fldChar w:fldCharType="separate"/>',
        "<w:t>GitHub</w:t>",
        '<w:fldChar w:fldCharType="end"/>',
    ):
        p._p.append(parse_xml(_run_xml(inner)))
    simple = (
        f"<w:fldSimple {nsdecls('w')} w:instr=' HYPERLINK \"https://dana.example.org\" '>"
        "<w:r><w:t>Blog</w:t></w:r></w:fldSimple>"
    )
    d.add_paragraph()._p.append(parse_xml(simple))
    doc = read_document(_save(d, tmp_path))[1]
    assert [line.text for line in doc.lines] == ["GitHub", "Blog"]
    assert doc.links == ("https://github.com/dana", "https://dana.example.org")


def _control(*paragraphs: str) -> str:
    body = "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in paragraphs)
    return f"<w:sdt {nsdecls('w')}><w:sdtPr/><w:sdtContent>{body}</w:sdtContent></w:sdt>"


def test_sections_inside_content_controls_are_read(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_paragraph("Dana Whitfield")
    d.element.body.insert(1, parse_xml(_control("Experience", "Analyst at Northwind")))
    table = d.add_table(rows=1, cols=1)
    table.cell(0, 0)._tc.append(parse_xml(_control("Skills in a cell")))
    d.sections[0].header._element.append(parse_xml(_control("dana@example.org")))
    doc = read_document(_save(d, tmp_path))[1]
    assert [line.text for line in doc.lines] == [
        "dana@example.org",
        "Dana Whitfield",
        "Experience",
        "Analyst at Northwind",
        "Skills in a cell",
    ]


def test_text_nobody_can_see_in_a_word_file_is_ignored(tmp_path: Path) -> None:
    d = docx.Document()
    p = d.add_paragraph()
    p._p.append(parse_xml(_run_xml("<w:t>Data Engineer</w:t>")))
    hidden = (
        "<w:rPr><w:vanish/></w:rPr><w:t> Kubernetes</w:t>",
        '<w:rPr><w:color w:val="FFFFFF"/></w:rPr><w:t> Terraform</w:t>',
        '<w:rPr><w:sz w:val="2"/></w:rPr><w:t> Rust</w:t>',
    )
    for inner in hidden:
        p._p.append(parse_xml(_run_xml(inner)))
    banner = d.add_paragraph()
    banner._p.append(
        parse_xml(
            _run_xml(
                '<w:rPr><w:color w:val="FFFFFF"/><w:shd w:val="clear" w:fill="1F3864"/></w:rPr>'
                "<w:t>EXPERIENCE</w:t>"
            )
        )
    )
    side = d.add_table(rows=1, cols=1).cell(0, 0).paragraphs[0]
    side._p.append(parse_xml(_run_xml('<w:rPr><w:color w:val="FFFFFF"/></w:rPr><w:t>Skills</w:t>')))
    doc = read_document(_save(d, tmp_path))[1]
    assert [line.text for line in doc.lines] == ["Data Engineer", "EXPERIENCE", "Skills"]

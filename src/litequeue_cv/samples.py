"""Synthetic CVs with their ground truth, for demos and tests.

``generate(out_dir, n, seed)`` writes ``n`` made-up CVs, alternating PDF
layouts (one column, two columns with a left sidebar; drawn with fpdf2) and
DOCX layouts (Word headings, a one-row table with a sidebar cell; written with
python-docx), and returns each file with the values a careful reader sees in
it. The same seed gives the same people. fpdf2 and python-docx load only when
a file is written.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import attrs

_FIRST = ["Mira", "Jonas", "Leila", "Tobias", "Ingrid", "Ravi", "Elena", "Kofi", "Nadia", "Hugo"]
_LAST = ["Varga", "Lindholm", "Okoye", "Brennan", "Castell", "Moreau", "Haddad", "Sorensen"]
_CITIES = ["Lyon, France", "Porto, Portugal", "Leeds, UK", "Denver, CO", "Graz, Austria"]
_COMPANIES = [
    "Fernwood Analytics Ltd",
    "Quillon Systems",
    "Brightwater Logistics GmbH",
    "Copperleaf Studio",
    "Northgate Robotics Inc.",
    "Saltmarsh Energy",
]
_TITLES = [
    "Junior Developer",
    "Software Engineer",
    "Senior Software Engineer",
    "Data Analyst",
    "Product Manager",
    "Platform Engineer",
    "Engineering Manager",
]
_SCHOOLS = [
    "University of Porto",
    "Graz University of Technology",
    "University of Leeds",
    "Colorado State University",
]
_DEGREES = [("BSc", "Computer Science"), ("MSc", "Data Science"), ("BA", "Economics")]
_SKILLS = ["Python", "SQL", "Docker", "Rust", "Kotlin", "Terraform", "Tableau", "Go", "Spark"]
_LANGS = [("English", "Native"), ("German", "B2"), ("Spanish", "Fluent"), ("Italian", "A2")]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_BULLETS = [
    "Built a reporting service used by {n} teams",
    "Cut build times by {n}0%",
    "Mentored {n} new colleagues",
    "Moved {n} services to containers",
]


@attrs.frozen(kw_only=True)
class Sample:
    """One written CV file and what it says."""

    #: The file written.
    path: Path
    #: Layout name: ``pdf-column``, ``pdf-sidebar``, ``docx-headings`` or ``docx-table``.
    layout: str
    #: Ground truth in the shape of the CV result (contact, work_history, ...).
    truth: dict[str, Any]


def make_person(rng: random.Random) -> dict[str, Any]:
    """A made-up person as CV-result fields."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    year, month = 2025, rng.randint(1, 12)
    jobs = []
    companies = rng.sample(_COMPANIES, rng.randint(1, 3))
    titles = sorted(rng.sample(_TITLES, len(companies)), key=_TITLES.index, reverse=True)
    for i, (company, title) in enumerate(zip(companies, titles, strict=True)):
        start_y, start_m = year - rng.randint(1, 4), rng.randint(1, 12)
        end = "present" if i == 0 else f"{year}-{month:02d}"
        bullets = [b.format(n=rng.randint(2, 9)) for b in rng.sample(_BULLETS, 2)]
        jobs.append(
            {
                "title": title,
                "company": company,
                "start": f"{start_y}-{start_m:02d}",
                "end": end,
                "description": "\n".join(bullets),
            }
        )
        year, month = start_y - rng.randint(0, 1), rng.randint(1, 12)
    degree, field = rng.choice(_DEGREES)
    education = [
        {
            "institution": rng.choice(_SCHOOLS),
            "degree": degree,
            "field": field,
            "start": str(year - 3),
            "end": str(year),
        }
    ]
    return {
        "contact": {
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}@example.org",
            "phone": f"+44 20 7946 {rng.randint(1000, 9999)}",
            "location": rng.choice(_CITIES),
            "links": [f"linkedin.com/in/{first.lower()}{last.lower()}"],
        },
        "work_history": jobs,
        "education": education,
        "skills": rng.sample(_SKILLS, rng.randint(3, 6)),
        "languages": [{"name": n, "level": lv} for n, lv in rng.sample(_LANGS, 2)],
    }


def _dates(job: dict[str, Any]) -> str:
    def show(value: str) -> str:
        if value == "present":
            return "Present"
        y, m = value.split("-")
        return f"{_MONTHS[int(m) - 1]} {y}"

    return f"{show(job['start'])} - {show(job['end'])}"


def _side_lines(p: dict[str, Any]) -> list[tuple[str, list[str]]]:
    c = p["contact"]
    return [
        ("Contact", [c["email"], c["phone"], c["location"], *c["links"]]),
        ("Skills", [f"- {s}" for s in p["skills"]]),
        ("Languages", [f"- {lang['name']} ({lang['level']})" for lang in p["languages"]]),
    ]


def _main_lines(p: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    work: list[tuple[str, str]] = []
    for job in p["work_history"]:
        work.append((f"{job['title']} - {job['company']}", "B"))
        work.append((_dates(job), "I"))
        work.extend((f"- {b}", "") for b in job["description"].split("\n"))
    edu: list[tuple[str, str]] = []
    for e in p["education"]:
        edu.append((e["institution"], "B"))
        edu.append((f"{e['degree']} in {e['field']} | {e['start']} - {e['end']}", "I"))
    return [("Experience", work), ("Education", edu)]


def write_pdf(path: Path, person: dict[str, Any], sidebar: bool) -> list[str]:
    """Draw the CV with fpdf2; returns the section order a reader sees."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.set_xy(15, 15)
    pdf.cell(0, 10, person["contact"]["name"])

    def block(x: float, y: float, w: float, text: str, style: str, size: float) -> float:
        pdf.set_font("Helvetica", style, size)
        pdf.set_xy(x, y)
        pdf.multi_cell(w, size * 0.5, text)
        return float(pdf.get_y())

    order = ["contact"]
    y = 30.0
    main_x, main_w = 15.0, 180.0
    if sidebar:
        side_y = 32.0
        for title, side_lines in _side_lines(person):
            side_y = block(15, side_y, 50, title, "B", 12) + 1
            for line in side_lines:
                side_y = block(15, side_y, 50, line, "", 9)
            side_y += 3
            order.append(title.lower())
        main_x, main_w, y = 75.0, 120.0, 32.0
    else:
        c = person["contact"]
        y = block(15, y, 180, f"{c['email']} | {c['phone']} | {c['location']}", "", 10)
        y = block(15, y, 180, " | ".join(c["links"]), "", 10) + 3
    for heading, lines in _main_lines(person):
        y = block(main_x, y, main_w, heading.upper(), "B", 13) + 1
        for text, style in lines:
            y = block(main_x, y, main_w, text, style, 10)
        y += 3
        order.append({"Experience": "work_history", "Education": "education"}[heading])
    if not sidebar:
        for title, side_lines in _side_lines(person)[1:]:
            y = block(15, y, 180, title.upper(), "B", 13) + 1
            y = block(15, y, 180, ", ".join(x[2:] for x in side_lines), "", 10) + 3
            order.append(title.lower())
    pdf.output(str(path))
    return list(dict.fromkeys(order))


def write_docx(path: Path, person: dict[str, Any], table: bool) -> list[str]:
    """Write the CV with python-docx; returns the section order a reader sees."""
    import docx

    document = docx.Document()
    name = document.add_paragraph()
    name.add_run(person["contact"]["name"]).bold = True
    order = ["contact"]
    side_parent: Any = document
    main_parent: Any = document
    if table:
        cells = document.add_table(rows=1, cols=2).rows[0].cells
        side_parent, main_parent = cells[0], cells[1]
    else:
        c = person["contact"]
        document.add_paragraph(f"{c['email']} | {c['phone']} | {c['location']}")
        document.add_paragraph(" | ".join(c["links"]))

    def heading(parent: Any, text: str) -> None:
        if parent is document:
            document.add_heading(text, level=1)
        else:
            parent.add_paragraph().add_run(text).bold = True

    def side() -> None:
        for title, lines in _side_lines(person):
            if title == "Contact" and not table:
                continue
            heading(side_parent, title)
            for line in lines:
                side_parent.add_paragraph(line)
            order.append(title.lower())

    if table:
        side()
    for title, lines in _main_lines(person):
        heading(main_parent, title)
        for text, style in lines:
            run = main_parent.add_paragraph().add_run(text)
            run.bold, run.italic = style == "B", style == "I"
        order.append({"Experience": "work_history", "Education": "education"}[title])
    if not table:
        side()
    document.save(str(path))
    return list(dict.fromkeys(order))


def generate(out_dir: str | Path, n: int, seed: int = 1) -> list[Sample]:
    """Write ``n`` CVs into ``out_dir`` (two PDF and two DOCX layouts in turn)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    samples = []
    for i in range(n):
        rng = random.Random(f"{seed}-{i}")
        person = make_person(rng)
        kind = ["pdf-column", "pdf-sidebar", "docx-headings", "docx-table"][i % 4]
        path = out / f"sample-{i + 1:03d}-{kind}.{kind.split('-')[0]}"
        if kind.startswith("pdf"):
            order = write_pdf(path, person, sidebar=kind == "pdf-sidebar")
        else:
            order = write_docx(path, person, table=kind == "docx-table")
        samples.append(Sample(path=path, layout=kind, truth={**person, "section_order": order}))
    return samples

"""From a reader's lines to a CV result. Pure: no files, no clocks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

import attrs

from ._confidence import confidence, doubts
from ._contact import Contact, extract_contact, name_alone
from ._document import SourceDoc
from ._education import parse_degrees
from ._entries import parse_jobs
from ._lists import (
    grid_languages,
    parse_certifications,
    parse_languages,
    parse_skills,
    section_text,
)
from ._result import Certification, CVResult, Language
from ._rirekisho import read_grid
from ._sections import Item, Section, body_size, label_of, split_sections, spoken
from ._vocab import section_key


def _order(sections: Sequence[Section], contact: Contact) -> list[str]:
    order: list[str] = []
    has_contact = bool(sections[0].items) or any(
        (contact.name, contact.email, contact.phone, contact.links)
    )
    for section in sections:
        name = section.key or section.heading
        if name == "contact" and not has_contact:
            continue
        if name and name not in order:
            order.append(name)
    return order


#: Sections whose lines may also be given by a labelled line elsewhere.
_LISTS = ("skills", "languages", "certifications")


def _labelled(item: Item) -> tuple[str | None, str]:
    """Which list a labelled line belongs to, and its text without the label
    ("Computer skills: Windows, Mac" -> skills, "Windows, Mac")."""
    found = label_of(item.text)
    if found is None:
        return None, item.text
    key = section_key(found[0])
    if key == "languages" and not spoken(found[1]):
        return None, item.text
    return key, found[1]


_Named = TypeVar("_Named", Certification, Language)


def _unique_names(values: Sequence[_Named]) -> list[_Named]:
    """Each certification or language once (a rirekisho lists its licences in its grid
    and again later; a language grid and a languages section may both name one)."""
    seen: set[str] = set()
    out = []
    for value in values:
        if value.name.casefold() not in seen:
            seen.add(value.name.casefold())
            out.append(value)
    return out


#: Fewest words of a profile sentence under the header (a tagline is shorter).
_PROFILE_WORDS = 8


def _profile_line(items: Sequence[Item], contact: Contact) -> Item | None:
    """A profile sentence right under the header, without a heading of its own
    ("Experienced data analyst looking for ..."): not contact details, not a tagline."""
    for item in items:
        text = item.text
        if text == contact.name or len(text.split()) < _PROFILE_WORDS:
            continue
        if any(c.isdigit() for c in text) or "@" in text or "|" in text or "://" in text:
            continue
        return item
    return None


_FORM_WORDS = re.compile(r"curriculum vitae|\bresume\b|résumé|lebenslauf|\bcv\b|\bpage\b", re.I)


def _drop_running_lines(sections: Sequence[Section], name: str | None) -> None:
    """A line that is the person's name beside "Curriculum vitae" or a page number is a
    running head or foot left in the text, not part of the section it fell into."""
    if not name:
        return
    key = name.casefold()
    for section in sections[1:]:
        section.items[:] = [
            item
            for item in section.items
            if not (key in item.text.casefold() and _FORM_WORDS.search(item.text))
            or len(item.text) > len(name) + 30
        ]


def _biggest_name(doc: SourceDoc) -> str | None:
    """The name when the top block has none: the biggest text on the first page, set
    far bigger than the body (a sidebar or a header read after the columns)."""
    first = [line for line in doc.lines if line.page == 1 and line.size]
    if not first:
        return None
    top = max(first, key=lambda line: line.size or 0.0)
    body = body_size(doc.lines)
    big = bool(top.size and body and top.size >= 2 * body)
    return top.text if big and name_alone(top.text) else None


def _list_items(sections: Sequence[Section]) -> dict[str, list[Item]]:
    """The lines of each list section, with labelled lines moved where they belong:
    "Computer skills: ..." in a summary to skills, "Languages: English" under Other to
    languages, "Awards: ..." out of skills."""
    out: dict[str, list[Item]] = {key: [] for key in _LISTS}
    for section in sections:
        for item in section.items:
            key, text = _labelled(item)
            if section.key in _LISTS and key in (None, "skills", section.key):
                out[section.key].append(item)  # its own line, or a group label ("Tools: ...")
            elif key in _LISTS:
                out[key].append(attrs.evolve(item, text=text, bullet=False))
    return out


def parse(doc: SourceDoc, *, file_name: str, file_type: str) -> CVResult:
    """The CV result for a document's lines (``extract_time_ms`` left at 0)."""
    sections = split_sections(doc.lines)
    by_key = {s.key: s for s in sections if s.key}
    top = sections[0]
    contact_items = list(top.items)
    block = [(i.line.text, i.line.size or 0.0) for i in contact_items]
    everything = [line.text for line in doc.lines] + [line.text for line in doc.margin_lines]
    contact = extract_contact(block, everything, doc.links)
    if contact.name is None:
        contact = attrs.evolve(contact, name=_biggest_name(doc))
    jobs = parse_jobs(by_key["work_history"].items) if "work_history" in by_key else []
    degrees = parse_degrees(by_key["education"].items) if "education" in by_key else []
    history = read_grid([item.text for section in sections for item in section.items])
    if history.jobs:  # a rirekisho: its grid lists every job; the pages after repeat them
        jobs = list(history.jobs)
    if history.degrees:
        degrees = list(history.degrees)
    summary_items = by_key["summary"].items if "summary" in by_key else []
    order = _order(sections, contact)
    if not summary_items and (profile := _profile_line(top.items, contact)):
        summary_items = [profile]
        order.insert(1 if order[:1] == ["contact"] else 0, "summary")
    _drop_running_lines(sections, contact.name)
    lists = _list_items(sections)
    cefr, used = grid_languages(lists["skills"])  # a Europass language grid among the skills
    skills = parse_skills([item for i, item in enumerate(lists["skills"]) if i not in used])
    languages = _unique_names([*cefr, *parse_languages(lists["languages"])])
    unsure = doubts(doc, sections, contact, jobs, degrees, skills)
    others: dict[str, str] = {}
    for section in sections:
        if section.key is None and section.heading:
            others.setdefault(section.heading, section_text(section.items))
    return CVResult(
        file_name=file_name,
        file_type=file_type,
        contact=contact,
        summary=" ".join(i.text for i in summary_items) or None,
        work_history=tuple(jobs),
        education=tuple(degrees),
        skills=tuple(skills),
        certifications=tuple(
            _unique_names([*history.certifications, *parse_certifications(lists["certifications"])])
        ),
        languages=tuple(languages),
        other_sections=others,
        section_order=tuple(order),
        raw_text="\n".join(line.text for line in doc.lines),
        parse_confidence=confidence(unsure),
        warnings=tuple(d.note for d in unsure),
    )

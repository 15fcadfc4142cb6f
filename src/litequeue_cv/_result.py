"""The CV result, shaped exactly as docs/cv-result.md describes (schema version 1)."""

from __future__ import annotations

from typing import Any

import attrs

from ._contact import Contact

SCHEMA_VERSION = 1


@attrs.frozen(kw_only=True)
class Job:
    """One work history entry."""

    #: Job title as written.
    title: str | None = None
    #: Employer as written.
    company: str | None = None
    #: Where the job was, when shown.
    location: str | None = None
    #: ``YYYY-MM`` or ``YYYY``; None when not shown.
    start: str | None = None
    #: ``YYYY-MM``, ``YYYY`` or ``present``; None when not shown.
    end: str | None = None
    #: Bullets joined with newlines, or the paragraph.
    description: str | None = None


@attrs.frozen(kw_only=True)
class Degree:
    """One education entry."""

    #: School or university as written.
    institution: str | None = None
    #: Degree as written (``BSc``, ``Master of Science``).
    degree: str | None = None
    #: Subject of the degree.
    field: str | None = None
    #: Start date, when shown.
    start: str | None = None
    #: End (graduation) date, when shown.
    end: str | None = None


@attrs.frozen(kw_only=True)
class Certification:
    """One certification."""

    #: Its name as written.
    name: str
    #: Who issued it, when shown.
    issuer: str | None = None
    #: Year obtained, when shown.
    year: str | None = None


@attrs.frozen(kw_only=True)
class Language:
    """One spoken language."""

    #: The language.
    name: str
    #: Level as written (``Native``, ``B2``), when shown.
    level: str | None = None


@attrs.frozen(kw_only=True)
class CVResult:
    """Everything extracted from one CV file."""

    #: The file's name (no directory).
    file_name: str
    #: ``pdf``, ``docx`` or ``txt``.
    file_type: str
    #: Name, email, phone, location and links.
    contact: Contact = attrs.Factory(Contact)
    #: The summary or profile paragraph.
    summary: str | None = None
    #: Jobs in the order they appear.
    work_history: tuple[Job, ...] = ()
    #: Education in the order it appears.
    education: tuple[Degree, ...] = ()
    #: Skills as listed.
    skills: tuple[str, ...] = ()
    #: Certifications as listed.
    certifications: tuple[Certification, ...] = ()
    #: Languages with their levels.
    languages: tuple[Language, ...] = ()
    #: Any other section: heading as written -> its lines joined with newlines.
    other_sections: dict[str, str] = attrs.Factory(dict)
    #: Canonical section names (or headings) in reading order.
    section_order: tuple[str, ...] = ()
    #: All text the reader found, in reading order.
    raw_text: str = ""
    #: 0..1, lower when the extraction is unsure.
    parse_confidence: float = 0.0
    #: Plain-words notes on what could not be read.
    warnings: tuple[str, ...] = ()
    #: Time spent reading and parsing the file.
    extract_time_ms: int = 0

    def evolve(self, **changes: Any) -> CVResult:
        """A copy with some fields changed."""
        return attrs.evolve(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of docs/cv-result.md: every key present, in the documented order."""
        return {
            "schema_version": SCHEMA_VERSION,
            "file_name": self.file_name,
            "file_type": self.file_type,
            "contact": {
                "name": self.contact.name,
                "email": self.contact.email,
                "phone": self.contact.phone,
                "location": self.contact.location,
                "links": list(self.contact.links),
            },
            "summary": self.summary,
            "work_history": [attrs.asdict(j) for j in self.work_history],
            "education": [attrs.asdict(e) for e in self.education],
            "skills": list(self.skills),
            "certifications": [attrs.asdict(c) for c in self.certifications],
            "languages": [attrs.asdict(lang) for lang in self.languages],
            "other_sections": dict(self.other_sections),
            "section_order": list(self.section_order),
            "raw_text": self.raw_text,
            "parse_confidence": self.parse_confidence,
            "warnings": list(self.warnings),
            "extract_time_ms": self.extract_time_ms,
        }

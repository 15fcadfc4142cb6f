# ruff: noqa: RUF001, RUF002 -- typographic dashes and quotes are matched on purpose
"""List-like sections: skills, certifications, languages, and the rest kept as text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ._result import Certification, Language
from ._sections import Item, strip_bullet

_LABEL = re.compile(r"^(?P<label>[^:,|]{1,30}):\s+(?=\S)")
_LIST_SEP = re.compile(r"[,;|•·▪]")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
_CERT_PAREN = re.compile(r"^(?P<name>.+?)\s*\((?P<inner>[^()]*\b(?:19|20)\d\d\b[^()]*)\)\s*$")
_ISSUER_SEP = re.compile(r"\s+[–—-]\s+|\s*\|\s*|,\s+")
_LANG = re.compile(
    r"^(?P<name>[^\W\d_][\w'’ -]*?)\s*(?:\((?P<paren>[^)]*)\)|[:–—|-]\s*(?P<level>.+))?$"
)
#: Longest list entry, in words, still read as an item rather than a sentence.
_MAX_ITEM_WORDS = 6


def split_list(text: str) -> list[str]:
    """Split at commas, semicolons, pipes and bullets, but not inside brackets."""
    out: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}" and depth > 0
        if depth == 0 and ch in ",;|•·▪":
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return [p.strip(" .\t") for p in out if p.strip(" .\t")]


def _joined(items: Sequence[Item]) -> list[str]:
    """Lines of a wrapped comma list joined again; bullets and labelled lines kept apart."""
    out: list[str] = []
    prev_bullet = True
    for item in items:
        text = item.text
        if (
            out
            and not item.bullet
            and _LIST_SEP.search(out[-1])
            and not out[-1].rstrip().endswith((",", ";", ".", "|"))
            and not _LABEL.match(text)
            and (_LIST_SEP.search(text) or len(text.split()) <= 3 or text[:1].islower())
            and not prev_bullet
        ):
            out[-1] = f"{out[-1]} {text}"
        else:
            out.append(text)
        prev_bullet = item.bullet
    return out


def _unique(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for v in values:
        key = v.casefold()
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def parse_skills(items: Sequence[Item]) -> list[str]:
    """Skill names from comma lists, bullets, one-per-line or labelled groups."""
    skills: list[str] = []
    for line in _joined(items):
        label = _LABEL.match(line)
        if label:
            line = line[label.end() :]
        for part in split_list(line):
            part = strip_bullet(part)[0].strip(" -–—•")
            part = re.sub(r"^and\s+", "", part)  # "a, b, and c"
            if 0 < len(part.split()) <= _MAX_ITEM_WORDS:
                skills.append(part)
    return _unique(skills)


def _cert(text: str) -> Certification | None:
    text = text.strip(" .")
    if not text:
        return None
    m = _CERT_PAREN.match(text)
    if m:
        inner = m.group("inner")
        year = _YEAR.search(inner)
        issuer = _YEAR.sub("", inner).strip(" ,;–—-") or None
        return Certification(
            name=m.group("name"), issuer=issuer, year=year.group(1) if year else None
        )
    years = list(_YEAR.finditer(text))
    year = years[-1] if years and years[-1].end() >= len(text) - 1 else None
    body = text[: year.start()].rstrip(" ,;(–—-") if year else text
    parts = _ISSUER_SEP.split(body)
    dashed = re.split(r"\s+[–—-]\s+|\s*\|\s*", body)
    if len(dashed) > 1:
        name, issuer = " – ".join(dashed[:-1]), dashed[-1]
    elif len(parts) > 1 and year is not None:
        name, issuer = ", ".join(parts[:-1]), parts[-1]
    else:
        name, issuer = body, None
    name = name.strip(" ,;")
    return (
        Certification(name=name, issuer=issuer, year=year.group(1) if year else None)
        if name
        else None
    )


def parse_certifications(items: Sequence[Item]) -> list[Certification]:
    """Certifications, one per bullet or line: name, issuer and year when shown."""
    out: list[Certification] = []
    merged: list[str] = []
    for item in items:
        if merged and merged[-1].count("(") > merged[-1].count(")"):
            merged[-1] = f"{merged[-1]} {item.text}"
        else:
            merged.append(item.text)
    for text in merged:
        cert = _cert(text)
        if cert is not None:
            out.append(cert)
    return out


def parse_languages(items: Sequence[Item]) -> list[Language]:
    """Languages with their levels: "French (B2)", "French – fluent", "French: native"."""
    out: list[Language] = []
    for line in _joined(items):
        for part in split_list(line):
            m = _LANG.match(part.strip())
            if not m:
                continue
            name = m.group("name").strip(" -")
            level = (m.group("paren") or m.group("level") or "").strip() or None
            if 0 < len(name.split()) <= 3:
                out.append(Language(name=name, level=level))
    unique: dict[str, Language] = {}
    for lang in out:
        unique.setdefault(lang.name.casefold(), lang)
    return list(unique.values())


def section_text(items: Sequence[Item]) -> str:
    """An other section's lines joined with newlines."""
    return "\n".join(item.text for item in items)

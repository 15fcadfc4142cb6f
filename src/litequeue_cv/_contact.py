# ruff: noqa: RUF001 -- typographic dashes and quotes are matched on purpose
"""Contact details: name, email, phone as printed, location and links."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

from ._dates import find_dates
from ._vocab import section_key

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)[^\s|,;<>()\"']+", re.IGNORECASE)
_BARE = re.compile(
    r"(?<![@\w./-])(?:[a-z0-9][a-z0-9-]*\.)+(?:com|org|net|io|dev|me|co|ai|app|page|site|info|"
    r"tech|design|xyz|eu|us|uk|de|fr|es|it|nl|ie|se|ca|au|in|ch|at|be|dk|no|fi|pl|pt)"
    r"(?:/[^\s|,;<>()\"']*)?(?![\w@])",
    re.IGNORECASE,
)
_PHONE = re.compile(r"\(?(?:\+|\b00)?\(?\d[\d\s().\-/–]{5,}\d(?:[xX*]{1,4}\b)?")
_LABEL = re.compile(
    r"^(?:e-?mail|phone|tel(?:ephone)?|mobile|mob|cell|address|location|based in|linkedin|"
    r"github|website|web|portfolio|home|city|contact)\s*[:.]?\s+",
    re.IGNORECASE,
)
_PLACE_LABEL = re.compile(r"^(?:address|location|based in|city|home)\s*[:.]?\s+", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s+[|·•/⋅◦]\s+|\s+[|·•]|[|·•]\s+|\s{3,}|\t")
_PLACE = re.compile(r"^[^\W\d_][\w .'’-]*(?:,\s*[^\W\d_][\w .'’-]*){1,2}$")


@attrs.frozen(kw_only=True)
class Contact:
    """The contact fields of the schema."""

    #: The person's name as written.
    name: str | None = None
    #: Email address.
    email: str | None = None
    #: Phone number as printed.
    phone: str | None = None
    #: Location as written.
    location: str | None = None
    #: Profile and web links, as written.
    links: tuple[str, ...] = ()


def _parts(text: str) -> list[str]:
    return [p.strip(" ,;") for p in _SEPARATORS.split(text) if p.strip(" ,;")]


def _phone_in(text: str) -> str | None:
    for m in _PHONE.finditer(text):
        candidate = m.group(0).strip(" -./")
        digits = re.sub(r"\D", "", candidate)
        if not 7 <= len(digits) <= 15:
            continue
        dates = find_dates(candidate)
        if dates is not None and dates.span[1] - dates.span[0] >= len(candidate) - 2:
            continue
        if candidate.count("(") != candidate.count(")"):
            candidate = candidate.lstrip("(") if candidate.startswith("(") else candidate + ")"
        return candidate
    return None


def _phone_part(value: str) -> str | None:
    """The phone number when a separated part is nothing but one."""
    if "@" in value or _URL.search(value):
        return None
    if len(re.sub(r"[\d\s().+\-/–]|(?<=\d)[xX*]+\b", "", value)) > 2:
        return None
    return _phone_in(value)


def link_key(link: str) -> str:
    """A link without scheme, ``www.`` or trailing slash, for de-duplication."""
    t = re.sub(r"^[a-z][a-z0-9+.-]*://", "", link.strip().casefold())
    return re.sub(r"^www\.", "", t).rstrip("/")


def find_links(texts: Iterable[str], bare: bool) -> list[str]:
    """URLs in the texts; with ``bare``, domains without a scheme too."""
    out: list[str] = []
    for text in texts:
        clean = EMAIL.sub(" ", text)
        found = list(_URL.finditer(clean))
        if bare:
            found += [
                m
                for m in _BARE.finditer(clean)
                if not any(u.start() <= m.start() < u.end() for u in found)
            ]
        out.extend(m.group(0).rstrip(".,;:)") for m in sorted(found, key=lambda m: m.start()))
    return out


def _join_wrapped(lines: Sequence[str]) -> list[str]:
    """A long link broken over two lines of a narrow column, joined again."""
    out: list[str] = []
    for text in lines:
        if (
            out
            and re.search(r"(?:https?://|www\.|\.[a-z]{2,}/)\S*[-/_.]$", out[-1])
            and " " not in text
        ):
            out[-1] += text
        else:
            out.append(text)
    return out


def _is_name(text: str) -> bool:
    words = text.split()
    if not 1 < len(words) <= 5 or len(text) > 60:
        return False
    if any(ch.isdigit() for ch in text) or "@" in text or "/" in text or ":" in text:
        return False
    if section_key(text) is not None:
        return False
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 0.75 * len(text.replace(" ", "")) and words[0][0].isupper()


def _name(lines: Sequence[tuple[str, float]]) -> str | None:
    """The biggest name-like line near the top (first one on a tie)."""
    candidates = [
        (size, -i, _LABEL.sub("", t))
        for i, (t, size) in enumerate(lines[:6])
        if _is_name(_LABEL.sub("", t))
    ]
    return max(candidates)[2] if candidates else None


def extract_contact(
    block: Sequence[tuple[str, float]], everything: Sequence[str], targets: Sequence[str]
) -> Contact:
    """Contact fields from the top block (text, size) with the whole text as a fallback."""
    texts = _join_wrapped([t for t, _ in block])
    email = phone = location = None
    for text in texts:
        for part in _parts(text):
            value = _LABEL.sub("", part) if _LABEL.match(part) else part
            if email is None and EMAIL.search(value):
                email = EMAIL.findall(value)[0]
                continue
            if phone is None and (found := _phone_part(value)):
                phone = found
                continue
            placed = _PLACE_LABEL.match(part) or _PLACE.match(value)
            if location is None and placed and not _BARE.search(value):
                location = value if len(value.split()) <= 7 else None
    if email is None:
        email = next((m.group(0) for t in everything for m in EMAIL.finditer(t)), None)
    if phone is None:
        phone = next(
            (
                p
                for t in everything
                for part in _parts(t)
                if (p := _phone_part(_LABEL.sub("", part)))
            ),
            None,
        )
    links: list[str] = []
    seen: set[str] = set()
    for link in (
        find_links(texts, bare=True)
        + find_links(everything, bare=False)
        + [t for t in targets if not t.lower().startswith(("mailto:", "tel:"))]
    ):
        key = link_key(link)
        if key not in seen and "@" not in link:
            seen.add(key)
            links.append(link)
    name_line = _name(block)
    return Contact(
        name=name_line,
        email=email,
        phone=phone,
        location=location if location != name_line else None,
        links=tuple(links),
    )

# ruff: noqa: RUF001 -- typographic dashes and quotes are matched on purpose
"""Contact details: name, email, phone as printed, location and links."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

from ._dates import find_dates
from ._vocab import COUNTRIES, section_key

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)[^\s|,;<>()\"']+", re.IGNORECASE)
_BARE = re.compile(
    r"(?<![@\w./-])(?:[a-z0-9][a-z0-9-]*\.)+(?:com|org|net|io|dev|me|co|ai|app|page|site|info|"
    r"tech|design|xyz|eu|us|uk|de|fr|es|it|nl|ie|se|ca|au|in|ch|at|be|dk|no|fi|pl|pt)"
    r"(?:/[^\s|,;<>()\"']*)?(?![\w@])",
    re.IGNORECASE,
)
_PHONE = re.compile(r"\(?(?:\+|\b00)?\(?\d[\d\s().\-/–]{5,}\d(?:[xX*]{1,4}\b)?")
#: Words for an address in the languages of the section headings.
_ADDRESS_WORDS = (
    r"address|location|based in|city|home|adresse|anschrift|wohnort|dirección|direccion|"
    r"indirizzo|endereço|adres"
)
#: The same in Chinese and Japanese, where no space follows a label.
_CJK_ADDRESS_WORDS = r"現住所|住所|现住址|地址"
_LABEL = re.compile(
    r"^(?:e-?mail|phone|tel(?:ephone)?|mobile|mob|cell|linkedin|github|website|web|portfolio|"
    rf"contact|{_ADDRESS_WORDS})\s*[:.]?\s+|^(?:{_CJK_ADDRESS_WORDS})\s*[:：]?\s*",
    re.IGNORECASE,
)
_PLACE_LABEL = re.compile(
    rf"^(?:{_ADDRESS_WORDS})\s*[:.]?\s+|^(?:{_CJK_ADDRESS_WORDS})\s*[:：]?\s*", re.IGNORECASE
)
#: A Japanese postal code (〒150-0001) opens an address; the next line may go on with it.
_POSTAL = re.compile(r"〒\s*\d{3}-?\d{4}")
_CJK_ADDRESS = re.compile(r"[都道府県市区町村省]")
_SEPARATORS = re.compile(r"\s+[|·•/⋅◦—]\s+|\s+[|·•]|[|·•]\s+|\s{3,}|\t|(?<=[^\d\s])\s+–\s+(?=\D)")
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
    if "@" in value or _URL.search(value) or "〒" in value:
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


#: Words of a form's labels and titles, never of a person's name.
_NOT_NAME_WORDS = frozenset(
    {
        "curriculum",
        "vitae",
        "resume",
        "résumé",
        "cv",
        "lebenslauf",
        "applied",
        "information",
        "position",
        "page",
        "updated",
    }
)
_CJK_NAME = re.compile(
    r"^[\u3040-\u30ff\u3400-\u9fff]{1,4}(?:\s?[\u3040-\u30ff\u3400-\u9fff]{1,4})?$"
)


def _is_name(text: str, alone: bool = False) -> bool:
    """Looks like a person's name: two to five capitalised words (one when ``alone``,
    set far bigger than the rest), or a Chinese or Japanese name."""
    if _CJK_NAME.match(text):
        return True
    words = text.split()
    least = 1 if alone else 2
    if not least <= len(words) <= 5 or len(text) > 60:
        return False
    if any(ch.isdigit() for ch in text) or any(c in text for c in "@/:,|"):
        return False
    if section_key(text) is not None or _NOT_NAME_WORDS & set(text.casefold().split()):
        return False
    letters = [c for c in text if c.isalpha()]
    capital = words[0][0].isupper() or (alone and text.islower())  # "johnsmith" in a logo
    return len(letters) >= 0.75 * len(text.replace(" ", "")) and capital


def name_alone(text: str) -> bool:
    """A name set on its own in big type, even one word or all lower case."""
    return _is_name(text, alone=True)


def _name(lines: Sequence[tuple[str, float]]) -> str | None:
    """The biggest name-like line near the top (first one on a tie); a row's first piece
    ("Bruce Wayne | email") counts as a line."""
    firsts = [(_LABEL.sub("", t.split(" | ")[0]).strip(), size) for t, size in lines[:6]]
    sizes = sorted((size for _, size in firsts), reverse=True)
    candidates = [
        (size, -i, t)
        for i, (t, size) in enumerate(firsts)
        if _is_name(t, alone=size > 0 and size == sizes[0] and size >= 1.5 * sizes[-1])
    ]
    return max(candidates)[2] if candidates else None


#: Hosts of personal profiles; a link there with one path part is the person's own.
_PROFILE_HOSTS = frozenset(
    {
        "linkedin.com",
        "github.com",
        "gitlab.com",
        "bitbucket.org",
        "twitter.com",
        "x.com",
        "facebook.com",
        "instagram.com",
        "huggingface.co",
        "medium.com",
        "stackoverflow.com",
        "behance.net",
        "dribbble.com",
        "kaggle.com",
        "orcid.org",
        "researchgate.net",
        "scholar.google.com",
        "youtube.com",
        "dev.to",
        "codepen.io",
        "leetcode.com",
    }
)
#: "Blog: url", "GitHub: url", "技术博客: url": a line that labels a link as the person's own.
_LABELLED_LINK = re.compile(
    r"^[^:：/]{0,12}(?:blog|website|web\s?site|web|homepage|home page|site|portfolio|github|"
    r"gitlab|linkedin|twitter|facebook|profile|博客|主页|ブログ|ホームページ)\s*[:：]\s*\S+$",
    re.IGNORECASE,
)


def _profile(link: str) -> bool:
    """A personal profile: linkedin.com/in/jdoe, github.com/jdoe, x.com/@jdoe."""
    key = link_key(link)
    host, _, path = key.partition("/")
    parts = [p for p in path.split("/") if p]
    if host not in _PROFILE_HOSTS or not parts:
        return False
    if host == "linkedin.com":
        return len(parts) == 2 and parts[0] in ("in", "pub")
    return len(parts) == 1 or (host == "scholar.google.com")


def _own_target(target: str, shown: Sequence[str]) -> bool:
    """A hyperlink target is the person's own when it is a profile, or when the contact
    block shows its address or its handle (an icon and "rendercv")."""
    if target.lower().startswith(("mailto:", "tel:")):
        return False
    if _profile(target):
        return True
    key = link_key(target)
    return any(key == link_key(s) for s in shown)


def extract_contact(
    block: Sequence[tuple[str, float]], everything: Sequence[str], targets: Sequence[str]
) -> Contact:
    """Contact fields from the top block (text, size) with the whole text as a fallback.
    Links: those in the block, profiles and labelled links elsewhere ("Blog: url"), and
    hyperlink targets that are profiles or are shown in the block."""
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
    location = _with_street(texts, location)
    postal = _postal_address(texts)
    if postal and (location is None or location in postal):
        location = postal
    location = location or _country(texts)
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
    shown = find_links(texts, bare=True)
    elsewhere = [
        link
        for t in everything
        for link in find_links([t], bare=False)
        if _profile(link) or _LABELLED_LINK.match(strip_mark(t))
    ]
    links: list[str] = []
    seen: set[str] = set()
    for link in shown + elsewhere + [t for t in targets if _own_target(t, shown)]:
        key = link_key(link)
        if key not in seen and not EMAIL.search(link):
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


_STREET = re.compile(
    r"^\d+[a-z]?\s+[^\W\d_][\w.'’ -]*\b(?:st|street|rd|road|ave|avenue|blvd|boulevard|lane|ln|"
    r"dr|drive|way|broadway|court|ct|place|pl|square|sq|terrace|close|crescent|hwy|highway|"
    r"parkway|pkwy)\b\.?",
    re.IGNORECASE,
)


def _postal_address(texts: Sequence[str]) -> str | None:
    """ "〒150-0001" and the line under it ("東京都渋谷区神宮前1-1-1") as one address."""
    for i, text in enumerate(texts):
        postal = _POSTAL.search(text)
        if postal is None:
            continue
        rest = text[postal.end() :].split(" | ")[0].strip()
        if not rest and i + 1 < len(texts) and _CJK_ADDRESS.search(texts[i + 1]):
            rest = texts[i + 1].split(" | ")[0].strip()
        return f"{postal.group(0)} {rest}".strip()
    return None


def _country(texts: Sequence[str]) -> str | None:
    """A line of the contact block that is only a country ("United Kingdom")."""
    return next((t.strip() for t in texts if t.strip().casefold() in COUNTRIES), None)


def strip_mark(text: str) -> str:
    """A line without its leading bullet mark."""
    return re.sub(r"^\s*[•·▪*-]\s*", "", text)


def _with_street(texts: Sequence[str], location: str | None) -> str | None:
    """The street before the town, joined as one address ("123 Main St, Anywhere, USA")."""
    parts = [p for t in texts for p in _parts(t)]
    for i, part in enumerate(parts):
        street = _STREET.match(part)
        if street is None:
            continue
        if street.end() < len(part.rstrip(" ,")):
            return part  # "2222 McCoy Road, Columbus, Ohio 44444" in one piece
        if i + 1 < len(parts) and (location is None or parts[i + 1] == location):
            town = parts[i + 1]
            if _PLACE.match(town) or town.split()[0][0].isupper():
                return f"{part}, {town}"
        return part
    return location

# ruff: noqa: RUF001, RUF002 -- typographic dashes and quotes are matched on purpose
"""List-like sections: skills, certifications, languages, and the rest kept as text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

from ._result import Certification, Language
from ._sections import Item, spoken, strip_bullet
from ._vocab import SPOKEN_LANGUAGES, normalise_heading, section_key

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
#: A skill bar's value written out: "4", "3.5", "4/5", "10".
_RATING = re.compile(r"(?:10|\d)(?:[.,]\d)?(?:/(?:10|5))?")
#: Labels in a skills section whose values are not skills.
_NOT_SKILL = re.compile(
    r"^(?:driving licen[cs]e|driver'?s licen[cs]e|date of birth)s?\b"
    r"|.*\b(?:basic|independent|proficient) user\b",  # the CEFR legend under a grid
    re.IGNORECASE,
)
#: Marks that open a group label in Japanese CVs ("◎データベース").
_GROUP_MARKS = ("◎", "■", "◆", "□")
_FILLER = re.compile(r"^(?:x{2,}|\.{3}|…|tbd|n/?a)$", re.IGNORECASE)
#: Longest certification name with its issuer; longer lines are prose.
_MAX_CERT_CHARS = 120
_LEADING_DATE = re.compile(r"^(?P<year>(?:19|20)\d\d)(?:\s*[|./-]\s*\d{1,2})?\s*[|,:–—-]\s*")
#: Words after a certification that say where one stands, not who issued it.
_STATUS = frozenset(
    {
        "charterholder",
        "candidate",
        "in progress",
        "expected",
        "pending",
        "passed",
        "completed",
        "ongoing",
        "active",
        "valid",
        "certified",
    }
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def _issuer_like(text: str) -> bool:
    """ "Datacamp", "Amazon Web Services": a short name without numbers."""
    return len(text.split()) <= 3 and not any(c.isdigit() for c in text)


def sentence_like(text: str) -> bool:
    """Prose rather than an item: many words, or a sentence end in any script."""
    return (
        len(text.split()) > 14
        or text.rstrip().endswith(("。", "！"))
        or (bool(_CJK.search(text)) and len(text) > 40)
    )


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
    prev_x0: float | None = None
    for item in items:
        text = item.text
        x0 = item.line.x0
        centred = prev_x0 is not None and x0 is not None and abs(x0 - prev_x0) > 2.0
        if (
            out
            and not centred  # lines centred in a sidebar each stand alone
            and "|" not in out[-1]  # a row of pieces (tags, table cells) is whole
            and "|" not in text
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
        prev_x0 = x0
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


def _footnotes(items: Sequence[Item]) -> set[int]:
    """Lines set much smaller than the rest of the section: a note under a list
    ("(*) The skill scale is from 0 to 6"), not an item."""
    sizes = sorted(i.line.size for i in items if i.line.size)
    if not sizes:
        return set()
    usual = sizes[len(sizes) // 2]
    return {k for k, i in enumerate(items) if i.line.size and i.line.size < 0.8 * usual}


def _ratings(text: str) -> str:
    """ "lovely 4 narcissistic 3": a skill bar's numbers between the items become commas."""
    items: list[str] = []
    words: list[str] = []
    for token in text.split():
        if _RATING.fullmatch(token) and words:
            items.append(" ".join(words))
            words = []
        elif _RATING.fullmatch(token) or any(c in token for c in ",|"):
            return text  # a number with no item before it, or a list already
        else:
            words.append(token)
    return ", ".join(items) if len(items) >= 2 and not words else text


def parse_skills(items: Sequence[Item]) -> list[str]:
    """Skill names from comma lists, bullets, one-per-line or labelled groups. A label
    before a sentence ("team work: I have worked in ...") is the skill; a sub-heading
    ("Digital skills") is not, nor a driving licence."""
    skills: list[str] = []
    skip_next = False
    notes = _footnotes(items)
    items = [item for k, item in enumerate(items) if k not in notes]
    for line in _joined(items):
        line = _ratings(line)
        if skip_next:
            skip_next = False
            if len(line.split()) <= 3:
                continue
        bare = strip_bullet(line)[0].strip(" -–—•")
        if _NOT_SKILL.match(bare):
            skip_next = True
            continue
        if section_key(bare) == "skills":
            continue  # a group heading inside the section
        cells = line.split(" | ", 1)
        if len(cells) == 2 and section_key(cells[0]) is not None:
            line = cells[1]  # a table row "Tech Stack | Tableau | Python": the label cell goes
        label = _LABEL.match(line)
        if label:
            line = line[label.end() :]
            name = strip_bullet(label.group("label"))[0].strip(" -–—•")
            if _prose(line) and 0 < len(name.split()) <= 4:
                skills.append(name)
                continue
        for part in split_list(line):
            part = strip_bullet(part)[0].strip(" -–—•")
            part = re.sub(r"^and\s+", "", part)  # "a, b, and c"
            if _FILLER.match(part) or part.startswith(_GROUP_MARKS):
                continue  # a template's placeholder ("xxx") or a group label ("◎Databases")
            if 0 < len(part.split()) <= _MAX_ITEM_WORDS:
                skills.append(part)
    return _unique(skills)


def _prose(text: str) -> bool:
    """A sentence rather than a list: many words, some of its pieces too long for items."""
    parts = split_list(text)
    longest = max((len(p.split()) for p in parts), default=0)
    return len(text.split()) > 2 * _MAX_ITEM_WORDS and longest > _MAX_ITEM_WORDS


def _cert(text: str, dated: bool = False) -> Certification | None:
    text = text.strip(" .")
    lead = _LEADING_DATE.match(text)
    if lead:  # "2022 | AWS Certified Security, Amazon" or a grid row "2018 | 12 | TOEIC 920"
        cert = _cert(text[lead.end() :], dated=True)
        return attrs.evolve(cert, year=lead.group("year")) if cert else None
    if not text or len(text) > _MAX_CERT_CHARS or sentence_like(text):
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
    dashed = re.split(r"\s+[–—-]\s+|\s*\|\s*", body)
    if len(dashed) > 1 and dashed[-1].casefold() in _STATUS:
        body = " – ".join(dashed[:-1])  # "... (CFA) - Charterholder"
        dashed = dashed[:-1]
    parts = _ISSUER_SEP.split(body)
    if len(dashed) > 1 and _CJK.search(body) is None:
        name, issuer = " – ".join(dashed[:-1]), dashed[-1]
    elif len(parts) > 1 and (year is not None or dated or _issuer_like(parts[-1])):
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


def _language_names(text: str) -> tuple[list[str], str] | None:
    """ "spanish & italian fluency" -> (["spanish", "italian"], "fluency") when the text
    opens with spoken languages and says the level in plain words after them."""
    words = text.split()
    names: list[str] = []
    i = 0
    while i < len(words):
        word = words[i].strip(",;")
        if normalise_heading(word) in SPOKEN_LANGUAGES:
            names.append(word)
        elif word.casefold() not in {"&", "and", "und", "et", "y", "e", "/"} or not names:
            break
        i += 1
    if not names:
        return None
    return names, " ".join(words[i:]).strip(" -–—:|()")


def parse_languages(items: Sequence[Item]) -> list[Language]:
    """Languages with their levels: "French (B2)", "French – fluent", "French: native",
    "english mother tongue", "spanish & italian" followed by "fluency" on the next line."""
    out: list[Language] = []
    waiting: list[Language] = []  # named on a line whose level comes on the next one
    for line in _joined(items):
        if waiting and not spoken(line):
            out.extend(attrs.evolve(lang, level=line.strip(" -–—:")) for lang in waiting)
            waiting = []
            continue
        out.extend(waiting)
        waiting = []
        for part in split_list(line):
            part = part.strip()
            m = _LANG.match(part)
            plain = _language_names(part)
            if plain is not None and not (m and (m.group("paren") or m.group("level"))):
                names, said = plain
                langs = [Language(name=n, level=said or None) for n in names]
                if said or len(split_list(line)) > 1:
                    out.extend(langs)
                else:
                    waiting = langs
                continue
            if not m:
                continue
            name = m.group("name").strip(" -")
            level = (m.group("paren") or m.group("level") or "").strip() or None
            if 0 < len(name.split()) <= 3:
                out.append(Language(name=name, level=level))
    out.extend(waiting)
    unique: dict[str, Language] = {}
    for lang in out:
        unique.setdefault(lang.name.casefold(), lang)
    return list(unique.values())


_MOTHER = re.compile(
    r"^(?:mother tongues?|native languages?|first languages?)(?:\(s\))?\s*:?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_OTHER_LANGUAGES = re.compile(r"^other languages?(?:\(s\))?\s*:?\s*$", re.IGNORECASE)
_CEFR_ROW = re.compile(r"^(?:[ABC][12]|-)(?:\s*\|\s*(?:[ABC][12]|-)){2,}$")


def grid_languages(items: Sequence[Item]) -> tuple[list[Language], set[int]]:
    """Languages from a Europass-style block: "Mother tongue(s)" then the languages, and
    "Other language(s)" then a grid, each language above its row of CEFR levels
    ("C1 | C2 | B2 | C1 | C2"). Returns them and the indexes of the lines they used."""
    found: list[Language] = []
    used: set[int] = set()
    mode = None
    for i, item in enumerate(items):
        text = strip_bullet(item.text)[0].strip()
        mother = _MOTHER.match(text)
        if mother:
            mode = "mother"
            used.add(i)
            text = mother.group("rest")
            if not text:
                continue
        elif _OTHER_LANGUAGES.match(text):
            mode = "other"
            used.add(i)
            continue
        if mode is None:
            continue
        if _CEFR_ROW.match(text) and found:
            found[-1] = attrs.evolve(found[-1], level="/".join(text.replace(" ", "").split("|")))
        elif spoken(text) and len(text.split()) <= 4:
            level = "Mother tongue" if mode == "mother" else None
            found += [Language(name=n, level=level) for n in split_list(text)]
        elif mode == "other" and (text.isupper() or "|" in text or len(text.split()) <= 3):
            pass  # the grid's column headings or a certificate ("Dalf C1")
        else:
            mode = None
            continue
        used.add(i)
    return found, used


def section_text(items: Sequence[Item]) -> str:
    """An other section's lines joined with newlines."""
    return "\n".join(item.text for item in items)

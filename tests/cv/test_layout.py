"""Reading order from positioned words (no PDF needed)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from litequeue_cv.readers._layout import reading_order, segments_from_words


def _word(text: str, x0: float, top: float, size: float = 10.0, bold: bool = False) -> dict:  # type: ignore[type-arg]
    return {
        "text": text,
        "x0": x0,
        "x1": x0 + 5.5 * len(text),
        "top": top,
        "bottom": top + size,
        "size": size,
        "fontname": "Helvetica-Bold" if bold else "Helvetica",
    }


def _texts(words: list[dict], width: float = 600) -> tuple[list[str], list[str]]:  # type: ignore[type-arg]
    flow, aside = reading_order(segments_from_words(words), width)
    return [s.text for s in flow], [s.text for s in aside]


def test_left_sidebar_is_read_first() -> None:
    words = [_word("Name", 50, 20, 20, bold=True)]
    for i in range(6):
        words.append(_word(f"side{i}", 50, 100 + 14 * i))
        words.append(_word(f"main{i}", 260, 104 + 17 * i))
        words.append(_word("and more words", 290, 104 + 17 * i))
    flow, aside = _texts(words)
    main = [f"main{i} and more words" for i in range(6)]
    assert flow == ["Name"] + [f"side{i}" for i in range(6)] + main
    assert aside == []


def test_right_sidebar_is_set_aside() -> None:
    words = []
    for i in range(6):
        words.append(_word(f"main{i} with more words", 50, 100 + 17 * i))
        words.append(_word(f"side{i}", 420, 104 + 14 * i))
    flow, aside = _texts(words)
    assert flow == [f"main{i} with more words" for i in range(6)]
    assert aside == [f"side{i}" for i in range(6)]


def test_label_gutter_is_read_row_by_row() -> None:
    words = []
    for row, label in enumerate(("Skills", "Education", "Interests")):
        top = 100 + 60 * row
        words.append(_word(label, 50, top, 12, bold=True))
        words.extend(_word(f"{label.lower()}{k}", 200, top + 14 * k) for k in range(3))
    flow, _ = _texts(words)
    assert flow == [
        "Skills",
        "skills0",
        "skills1",
        "skills2",
        "Education",
        "education0",
        "education1",
        "education2",
        "Interests",
        "interests0",
        "interests1",
        "interests2",
    ]


def test_single_column_keeps_right_aligned_dates_on_their_row() -> None:
    words = []
    for i in range(5):
        words.append(_word(f"Company{i}", 50, 100 + 40 * i))
        words.append(_word("2019-2020", 480, 100 + 40 * i))
        words.append(_word(f"detail{i}", 50, 114 + 40 * i))
    flow, _ = _texts(words)
    assert flow[:2] == ["Company0 | 2019-2020", "detail0"]


def test_words_and_bullet_marks_join() -> None:
    mark = {**_word("(cid:127)", 50, 100), "x1": 50}
    words = [mark, _word("Python", 60, 100.4), _word("and", 96, 100.4)]
    flow, _ = _texts(words)
    assert flow == ["(cid:127) Python and"]


def test_a_justified_line_stretched_wide_stays_one_piece() -> None:
    words, x = [], 30.0
    for text in ("users.", "Expert", "in", "containerization", "(Docker,", "Kubernetes)"):
        words.append({**_word(text, x, 100), "size": 10.4})
        x += 5.5 * len(text) + 10.7  # every gap about 1 em: a justified line
    tags, x = [], 30.0
    for text in ("Go", "Python", "Node.js", "TypeScript", "Rust"):
        tags.append({**_word(text, x, 130), "size": 7.8})
        x += 5.5 * len(text) + 13.0  # tag boxes: 1.7 em apart
    flow, _ = _texts(words + tags)
    assert flow == [
        "users. Expert in containerization (Docker, Kubernetes)",
        "Go | Python | Node.js | TypeScript | Rust",
    ]


_WORD_TEXT = st.text(alphabet="abcdefghXYZ0123456789.,", min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            _WORD_TEXT,
            st.floats(min_value=0, max_value=560),
            st.integers(min_value=0, max_value=60),
            st.sampled_from([8.0, 10.0, 14.0]),
            st.booleans(),
        ),
        max_size=120,
    )
)
def test_every_character_is_read_exactly_once(
    drawn: list[tuple[str, float, int, float, bool]],
) -> None:
    words = [
        {**_word(text, x0, 40 + 12 * row, size, bold), "x1": x0 + 0.55 * size * len(text)}
        for text, x0, row, size, bold in drawn
    ]
    flow, aside = reading_order(segments_from_words(words), 612)
    read = "".join(s.text for s in flow + aside).replace(" | ", "").replace(" ", "")
    assert sorted(read) == sorted("".join(text for text, *_ in drawn))

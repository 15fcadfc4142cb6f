# ruff: noqa: RUF001 -- Japanese CVs are written with full-width punctuation
"""A Japanese rirekisho: the history grid's rows become entries, the pages after it
(職務経歴書) do not add the same jobs again, and 【】 headings are found."""

from __future__ import annotations

from litequeue_cv._document import Line, SourceDoc
from litequeue_cv._parse import parse
from litequeue_cv._rirekisho import read_grid

ROWS = (
    "年 | 月 | 学歴・職歴(名別にまとめて書く)",
    "学歴",
    "2010 | 04 | 東京工業大学・コンピューターサイエンス・学士・入学",
    "2014 | 03 | 東京工業大学・コンピューターサイエンス・学士・卒業",
    "インターンシップ・アルバイト",
    "2019 | 01 | コードフォージャパン・ボランティア講師・子供向けプログラミング教室で活動",
    "職歴",
    "2014 | 04 | 東京都千代田区・株式会社デジタルフロンティア・ソフトウェアエンジニア・入社",
    "2018 | 03 | 東京都千代田区・株式会社デジタルフロンティア・ソフトウェアエンジニア・退社",
    "2018 | 04 | 東京都渋谷区・テックイノベーション株式会社・エンジニア・入社・現在に至る",
    "年 | 月 | 免許・資格",
    "2018 | 12 | TOEIC 920",
)


def test_rows_of_one_school_or_job_make_one_entry() -> None:
    grid = read_grid(ROWS)
    assert [(d.institution, d.degree, d.field, d.start, d.end) for d in grid.degrees] == [
        ("東京工業大学", "学士", "コンピューターサイエンス", "2010-04", "2014-03")
    ]
    assert [(j.title, j.company, j.location, j.start, j.end) for j in grid.jobs] == [
        ("ボランティア講師", "コードフォージャパン", None, "2019-01", None),
        (
            "ソフトウェアエンジニア",
            "株式会社デジタルフロンティア",
            "東京都千代田区",
            "2014-04",
            "2018-03",
        ),
        ("エンジニア", "テックイノベーション株式会社", "東京都渋谷区", "2018-04", "present"),
    ]
    assert [(c.name, c.year) for c in grid.certifications] == [("TOEIC 920", "2018")]


def test_text_without_a_grid_has_no_entries() -> None:
    assert read_grid(["2018 | 12 | TOEIC 920", "Experience", "2019 - 2020 | Engineer"]) == (
        read_grid([])
    )


def test_the_grid_is_the_history_and_bracketed_headings_are_sections() -> None:
    lines = [Line(text="履 歴 書", size=18.0), Line(text="田中 花子", size=16.0)]
    lines += [Line(text=row, size=8.0) for row in ROWS]
    lines += [
        Line(text="職務経歴書", size=18.0, page=3),
        Line(text="【経験・スキル】", size=12.0, page=3),
        Line(text="◎データベース", size=10.0, page=3),
        Line(text="• MySQL | • PostgreSQL", size=8.0, page=3),
        Line(text="【活かせる経験・知識・技術等】", size=12.0, page=3),
        Line(text="高度な問題解決能力：複雑なシステム設計の経験があります。", size=8.0, page=3),
    ]
    got = parse(SourceDoc(lines=tuple(lines)), file_name="cv.pdf", file_type="pdf")
    assert len(got.work_history) == 3
    assert len(got.education) == 1
    assert got.skills == ("MySQL", "PostgreSQL")
    assert "活かせる経験・知識・技術等" in got.section_order

# ruff: noqa: RUF001 -- CVs are written with typographic dashes and quotes
"""Dates as CVs write them, in several languages, as schema dates."""

from __future__ import annotations

import pytest

from litequeue_cv._dates import find_dates


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("Sept 2018 – May 2023", "2018-09", "2023-05"),
        ("03/2019 - now", "2019-03", "present"),
        ("2019.03 → 2020.11", "2019-03", "2020-11"),
        ("Mar ’19 – Jan ’21", "2019-03", "2021-01"),
        ("Summer 2017", None, "2017"),
        ("2013 – 至今", "2013", "present"),
        ("2015 年 3 月 – 2015 年 5 月", "2015-03", "2015-05"),
        ("2018年04月〜現在", "2018-04", "present"),
        ("since 1865", "1865", "present"),
        ("1861 – 1863", "1861", "1863"),
        ("Janvier 2019 – aujourd'hui", "2019-01", "present"),
        ("März 2019 bis heute", "2019-03", "present"),
        ("octubre de 2019 – marzo de 2020", "2019-10", "2020-03"),
        ("setembro 2017 - presente", "2017-09", "present"),
        ("maggio 2016 – giugno 2018", "2016-05", "2018-06"),
        ("wrzesień 2015 - obecnie", "2015-09", "present"),
        ("(2021–Present)", "2021", "present"),
        ("Aug 2015 to Present", "2015-08", "present"),
    ],
)
def test_dates_in_many_formats(text: str, start: str | None, end: str) -> None:
    found = find_dates(text)
    assert found is not None
    assert (found.start, found.end) == (start, end)


def test_a_season_is_part_of_the_date_it_names() -> None:
    text = "Intern, Acme  Summer 2017"
    found = find_dates(text)
    assert found is not None
    assert text[found.span[0] : found.span[1]] == "Summer 2017"

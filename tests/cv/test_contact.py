"""Contact details as real CVs print them: names, street addresses, the person's own links."""

from __future__ import annotations

from litequeue_cv._contact import extract_contact
from litequeue_cv._document import Line, SourceDoc
from litequeue_cv._parse import parse


def test_a_one_word_name_set_far_bigger_than_the_rest() -> None:
    block = [("Alice", 24.8), ("Adventurer", 14.3), ("United Kingdom", 14.3)]
    assert extract_contact(block, [], []).name == "Alice"


def test_a_place_with_a_comma_is_not_a_name() -> None:
    block = [("San Francisco, California", 12.0), ("Richard Hendriks", 11.0)]
    assert extract_contact(block, [], []).name == "Richard Hendriks"


def test_chinese_and_japanese_names() -> None:
    assert extract_contact([("你的大名", 24.0), ("a@b.cn", 12.0)], [], []).name == "你的大名"
    assert extract_contact([("田中 花子", 20.0)], [], []).name == "田中 花子"


def test_the_name_is_the_first_piece_of_its_row() -> None:
    block = [("Bruce Wayne | bwayne@email.com", 24.8), ("MERN Stack Developer", 17.2)]
    assert extract_contact(block, [], []).name == "Bruce Wayne"


def test_a_street_on_its_own_line_joins_the_town_below() -> None:
    block = [("Jo Bloggs", 20.0), ("123 Gotham St", 10.0), ("Gotham, USA", 10.0)]
    assert extract_contact(block, [], []).location == "123 Gotham St, Gotham, USA"
    block = [("Jo Bloggs", 20.0), ("2222 McCoy Road, Columbus, Ohio 44444 | jo@kent.edu", 10.0)]
    assert extract_contact(block, [], []).location == "2222 McCoy Road, Columbus, Ohio 44444"


def test_links_are_the_persons_own_not_papers_or_projects() -> None:
    block = [("John Doe", 20.0), ("john@example.com | rendercv.com | rendercv", 10.0)]
    body = [
        "FlashInfer: https://github.com/flashinfer-ai/flashinfer",
        "Paper https://doi.org/10.1234/neurips.2023.1234",
        "GitHub: https://github.com/johndoe",
        "Blog: http://blog.johndoe.me",
    ]
    targets = [
        "mailto:john@example.com",
        "https://rendercv.com/",
        "https://linkedin.com/in/rendercv",
        "https://github.com/",
        "https://doi.org/10.1234/neurips.2023.1234",
        "https://example.com",
    ]
    links = extract_contact(block, body, targets).links
    assert links == (
        "rendercv.com",
        "https://github.com/johndoe",
        "http://blog.johndoe.me",
        "https://linkedin.com/in/rendercv",
    )


def test_items_separated_by_em_dashes() -> None:
    block = [("JOHN DOE", 10.0), ("123 Main St, Anywhere, USA — (123) 456-7890 — j@d.com", 10.0)]
    got = extract_contact(block, [], [])
    assert (got.location, got.phone, got.email) == (
        "123 Main St, Anywhere, USA",
        "(123) 456-7890",
        "j@d.com",
    )


def test_a_profile_handle_with_an_at_sign_is_a_link_not_an_email() -> None:
    block = [("Marissa Mayer", 24.0), ("marissamayer | @marissamayer", 8.0)]
    targets = ["https://x.com/@marissamayer", "mailto:m@example.com"]
    assert extract_contact(block, [], targets).links == ("https://x.com/@marissamayer",)


def test_the_name_in_big_type_outside_the_top_block() -> None:
    doc = SourceDoc(
        lines=(
            Line(text="contact", bold=True, size=14.0),
            Line(text="john@smith.com", size=10.0),
            Line(text="languages", bold=True, size=14.0),
            Line(text="english mother tongue", size=10.0),
            Line(text="johnsmith", size=40.0),
            Line(text="experience", bold=True, size=14.0),
            Line(text="2012-Now | Lehman Brothers | Los Angeles, California", size=10.0),
        )
    )
    assert parse(doc, file_name="cv.pdf", file_type="pdf").contact.name == "johnsmith"


def test_a_japanese_postal_address_over_two_lines() -> None:
    block = [
        ("田中 花子", 16.0),
        ("現住所 〒150-0001", 10.0),
        ("東京都渋谷区神宮前1-1-1", 8.0),
        ("電話 | 090-1234-5678", 8.0),
    ]
    got = extract_contact(block, [], [])
    assert (got.location, got.phone) == ("〒150-0001 東京都渋谷区神宮前1-1-1", "090-1234-5678")


def test_a_line_that_is_only_a_country() -> None:
    block = [
        ("Alice", 24.8),
        ("Adventurer", 14.3),
        ("United Kingdom", 14.3),
        ("+39 0325658974", 14.3),
    ]
    assert extract_contact(block, [], []).location == "United Kingdom"


def test_labels_need_a_separator_so_a_placeholder_address_is_not_cut() -> None:
    block = [("Marissa Mayer", 24.0), ("m@example.com | City, State", 8.0)]
    assert extract_contact(block, [], []).location == "City, State"

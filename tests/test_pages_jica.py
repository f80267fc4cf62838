"""JICA page objects (spiders/pages/jica.py) beyond what test_source_pages.py checks: the
title suffix, which date wins (date line, then URL, then the listing's hint), the global nav
kept out of the body, a redesign raising ExtractionError, the listings' dates and year
pagination, and the `laos` scope of jica-en. Small pages of our own: tests/fixtures/jica/."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from spiders.pages.base import ExtractionError, Link
from spiders.pages.jica import JicaArticlePage, JicaListingPage, strip_title_suffix
from spiders.scope import in_scope

from sites import sources

OWN = Path(__file__).resolve().parent / "fixtures/jica"
SITE = Path(__file__).resolve().parents[1] / "kizuna/demo_sites/jica"
TOKYO = ZoneInfo("Asia/Tokyo")
PRESS_URL = "https://www.jica.go.jp/english/information/press/2026/20260302_04.html"
TOPIC_URL = (
    "https://www.jica.go.jp/english/overseas/laos/information/topics/2026/1585001_70001.html"
)


def own(name: str) -> str:
    return (OWN / name).read_text(encoding="utf-8")


def site(name: str) -> str:
    return (SITE / name).read_text(encoding="utf-8")


def article(url: str, html: str, hint: Link | None = None, key: str = "jica-en") -> JicaArticlePage:
    return JicaArticlePage(url, html, sources()[key], hint)


def day(item_published_at: str | None) -> date | None:
    if item_published_at is None:
        return None
    return datetime.fromisoformat(item_published_at).astimezone(TOKYO).date()


# ---------------------------------------------------------------- titles


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("Press Releases 2026 ｜ News＆Publication - JICA", "Press Releases 2026"),
        ("Send-off Reception ｜ Laos ｜ Countries & Regions - JICA", "Send-off Reception"),
        ("Laos - Japan Seminar - JICA", "Laos - Japan Seminar"),
        ("Laos - Japan Seminar", "Laos - Japan Seminar"),
        ("  Spaced   title ｜ News＆Publication - JICA ", "Spaced title"),
        (None, ""),
    ],
)
def test_strip_title_suffix(raw: str | None, title: str) -> None:
    assert strip_title_suffix(raw) == title


def test_headline_comes_from_h1_without_suffix() -> None:
    item = article(PRESS_URL, own("press-release.html")).to_item()
    assert item.title == "Completion Ceremony for the Second Mekong Bridge Approach Road in Lao PDR"


def test_page_without_h1_takes_title_tag_with_suffix_stripped() -> None:
    item = article(TOPIC_URL, own("title-only.html"), key="jica-laos").to_item()
    assert item.title == "Japan Overseas Cooperation Volunteers Dispatched to Luang Prabang"
    assert "JICA" not in item.title and "｜" not in item.title


def test_fixture_site_headline_is_the_title_tag_without_its_suffix() -> None:
    for name in ("press-2026-20261105_12.html", "laos-topics-2026-1592034_71240.html"):
        html = site(name)
        title_tag = html.split("<title>", 1)[1].split("</title>", 1)[0]
        assert title_tag.endswith(" - JICA")  # the fixture does carry a suffix
        item = article(PRESS_URL, html).to_item()
        assert item.title == strip_title_suffix(title_tag.replace("&amp;", "&"))


# ---------------------------------------------------------------- dates


def test_date_line_wins_over_the_url() -> None:
    """URL says 2 March, the page's date line says 3 March: the page is explicit, it wins."""
    item = article(PRESS_URL, own("press-release.html")).to_item()
    assert item.published_at == "2026-03-03T00:00:00+09:00"


def test_url_date_when_the_page_has_no_date_line() -> None:
    html = own("press-release.html").replace('<p class="p-article__date">March 3, 2026</p>', "")
    hint = Link(url=PRESS_URL, published=datetime(2026, 3, 5, tzinfo=TOKYO))
    item = article(PRESS_URL, html, hint).to_item()
    assert day(item.published_at) == date(2026, 3, 2)  # the URL, before the listing's hint


def test_hint_date_when_neither_page_nor_url_has_one() -> None:
    hint = Link(url=TOPIC_URL, published=datetime(2026, 7, 7, tzinfo=TOKYO))
    item = article(TOPIC_URL, own("title-only.html"), hint, key="jica-laos").to_item()
    assert day(item.published_at) == date(2026, 7, 7)


def test_no_date_anywhere_gives_no_date_not_an_error() -> None:
    """An office topic page fetched without its listing (no hint): stored undated."""
    item = article(TOPIC_URL, own("title-only.html"), key="jica-laos").to_item()
    assert item.published_at is None


def test_topic_page_of_the_fixture_has_no_date_line_and_takes_the_hint() -> None:
    html = site("laos-topics-2026-1589977_70985.html")
    url = TOPIC_URL.replace("1585001_70001", "1589977_70985")
    assert article(url, html, key="jica-laos").to_item().published_at is None
    hint = Link(url=url, published=datetime(2026, 10, 2, tzinfo=TOKYO))
    assert day(article(url, html, hint, key="jica-laos").to_item().published_at) == date(
        2026, 10, 2
    )


# ---------------------------------------------------------------- body


def test_body_has_no_nav_share_related_or_repeated_caption() -> None:
    item = article(PRESS_URL, own("press-release.html")).to_item()
    for furniture in (
        "日本語",
        "Français",
        "About JICA",
        "News & Features",
        "Share",
        "Related Links",
        "JICA Laos Office",
        "Copyright",
        "March 3, 2026",
    ):
        assert furniture not in item.text, furniture
    assert item.text.startswith("A ceremony marked the completion")  # caption-as-lead dropped
    assert item.text.endswith("Length: 4.2 kilometres")  # list items kept
    assert item.lang is None


def test_fixture_press_release_keeps_subheading_and_list() -> None:
    item = article(PRESS_URL, site("press-2026-20261105_12.html")).to_item()
    paragraphs = item.text.split("\n\n")
    assert "Outline of the project" in paragraphs
    assert "Procurement of low-emission buses and construction of a bus depot" in paragraphs
    assert "The signing ceremony in Vientiane." not in item.text


def test_layout_change_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError):
        item = article(PRESS_URL, own("layout-changed.html")).to_item()
        pytest.fail(f"extracted {item.title!r}: {item.text!r}")


def test_article_block_without_body_is_an_extraction_error() -> None:
    html = own("press-release.html")
    start, end = html.index('<div class="p-article__body">'), html.index('<div class="p-share">')
    with pytest.raises(ExtractionError):
        article(PRESS_URL, html[:start] + html[end:]).to_item()


def test_block_page_is_an_extraction_error() -> None:
    html = "<html><head><title>403 Forbidden</title></head><body><p>Access denied</p></body></html>"
    with pytest.raises(ExtractionError):
        article(PRESS_URL, html).to_item()


# ---------------------------------------------------------------- listings

INDEX_2026 = "https://www.jica.go.jp/english/information/press/2026/index.html"
INDEX_2025 = "https://www.jica.go.jp/english/information/press/2025/index.html"
LAOS_TOP = "https://www.jica.go.jp/english/overseas/laos/index.html"


def test_press_index_links_titles_and_dates() -> None:
    links = JicaListingPage(INDEX_2026, site("press-2026-index.html"), sources()["jica-en"]).links()
    assert [(link.url.rsplit("/", 1)[1], link.published) for link in links] == [
        ("20261105_12.html", datetime(2026, 11, 5, tzinfo=TOKYO)),
        ("20261028_03.html", datetime(2026, 10, 28, tzinfo=TOKYO)),
    ]
    assert links[1].title is not None and links[1].title.startswith("Signing of Japanese ODA")


@pytest.mark.parametrize(
    ("url", "name", "key", "expected"),
    [
        (INDEX_2026, "press-2026-index.html", "jica-en", INDEX_2025),
        (
            INDEX_2025,
            "press-2025-index.html",
            "jica-en",
            "https://www.jica.go.jp/english/information/press/2024/index.html",
        ),
        (LAOS_TOP, "laos-index.html", "jica-laos", None),
    ],
)
def test_next_page_is_the_previous_year(
    url: str, name: str, key: str, expected: str | None
) -> None:
    assert JicaListingPage(url, site(name), sources()[key]).next_page() == expected


def test_whats_new_skips_hq_releases_for_jica_laos() -> None:
    links = JicaListingPage(LAOS_TOP, site("laos-index.html"), sources()["jica-laos"]).links()
    assert [link.published.date() for link in links if link.published] == [
        date(2026, 11, 12),
        date(2026, 10, 2),
        date(2026, 8, 20),
    ]
    assert not any("/information/press/2026/2026" in link.url for link in links)


def test_whats_new_as_definition_list_takes_dates_from_dt() -> None:
    links = JicaListingPage(LAOS_TOP, own("whats-new-dl.html"), sources()["jica-laos"]).links()
    assert [
        (link.url.rsplit("/", 1)[1], link.published.date() if link.published else None)
        for link in links
    ] == [
        ("1585001_70001.html", date(2026, 7, 7)),  # its second link (#photos) is the same URL
        ("1584990_70000.html", date(2026, 6, 30)),
    ]


# ---------------------------------------------------------------- scope


def test_jica_en_scope_keeps_laos_and_drops_the_brazil_release() -> None:
    scope = sources()["jica-en"].scope
    assert scope == "laos"
    kept = {}
    for name in (
        "press-2026-20261105_12.html",
        "press-2026-20261028_03.html",
        "press-2025-20251210_07.html",
    ):
        item = article(PRESS_URL, site(name)).to_item()
        kept[name] = in_scope(scope, item.title, item.text)
    assert kept == {
        "press-2026-20261105_12.html": True,
        "press-2026-20261028_03.html": False,  # Brazil: announced, never stored
        "press-2025-20251210_07.html": True,
    }

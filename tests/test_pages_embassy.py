"""Embassy of Japan in Laos page objects on their own (spiders/pages/embassy.py): the three
date forms (January 28, 2026 / 令和8年1月28日 / 2025年8月6日) read from the page in Vientiane
time, captions and "Back to News" kept out of the body, the news list's dates and older-news
link, and pages that are not news. Small pages of our own live under
tests/fixtures/embassy/; the rest comes from the fixture site (kizuna/demo_sites/embassy)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from spiders.pages.base import Link
from spiders.pages.embassy import EmbassyArticlePage, EmbassyListingPage, ExtractionError

from sites import sources

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "kizuna/demo_sites/embassy"
OWN = Path(__file__).resolve().parent / "fixtures/embassy"
ORIGIN = "https://www.la.emb-japan.go.jp"


def html(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def article(route: str, path: Path, hint: Link | None = None) -> EmbassyArticlePage:
    return EmbassyArticlePage(ORIGIN + route, html(path), sources()["embassy-la"], hint)


@pytest.mark.parametrize(
    ("route", "file", "published", "lang"),
    [
        (
            "/itpr_en/11_000001_01872.html",
            "en-11_000001_01872.html",
            "2026-01-28T00:00:00+07:00",
            None,
        ),
        (
            "/itpr_ja/11_000001_01873.html",
            "ja-11_000001_01873.html",
            "2026-01-28T00:00:00+07:00",  # 令和8年1月28日
            "ja",
        ),
        (
            "/itpr_ja/11_000001_01800.html",
            "ja-11_000001_01800.html",
            "2025-08-06T00:00:00+07:00",  # 2025年8月6日
            "ja",
        ),
    ],
)
def test_date_line_read_from_the_page(
    route: str, file: str, published: str, lang: str | None
) -> None:
    item = article(route, SITE / file).to_item()  # no hint: the page's own date
    assert item.published_at == published
    assert item.lang == lang


def test_caption_is_not_the_lead() -> None:
    item = article("/itpr_en/11_000001_01872.html", SITE / "en-11_000001_01872.html").to_item()
    assert item.text.startswith("On January 28, 2026, a signing ceremony")
    assert "representatives of the recipient organizations at the signing" not in item.text
    assert "Back to News" not in item.text


def test_other_body_block_and_date_in_a_lead_line() -> None:
    item = article("/itpr_en/11_000001_01900.html", OWN / "article-divtext.html").to_item()
    assert item.title == "Handover of Fire Trucks"
    assert item.text == (
        "The Ambassador handed over two fire trucks to the Vientiane Capital fire brigade "
        "(a test page)."
    )
    assert item.published_at == "2026-03-03T00:00:00+07:00"


@pytest.mark.parametrize(
    ("route", "path"),
    [
        ("/itpr_ja/00_000001.html", OWN / "static-page.html"),
        ("/itprtop_en/index.html", SITE / "en-index.html"),
    ],
    ids=["static-page", "news-list"],
)
def test_page_that_is_not_news_raises(route: str, path: Path) -> None:
    with pytest.raises(ExtractionError):
        article(route, path).to_item()


def test_news_list_dates_and_older_page() -> None:
    page = EmbassyListingPage(
        ORIGIN + "/itprtop_en/index.html", html(SITE / "en-index.html"), sources()["embassy-la"]
    )
    links = page.links()
    # Static pages in the navigation and the side bar (00_000011.html …) are not news.
    assert [
        (link.url.rsplit("/", 1)[1], link.published.date()) for link in links if link.published
    ] == [
        ("11_000001_01872.html", date(2026, 1, 28)),
        ("11_000001_01851.html", date(2025, 12, 12)),
    ]
    assert page.next_page() == ORIGIN + "/itprtop_en/index_2.html"
    last = EmbassyListingPage(
        ORIGIN + "/itprtop_en/index_2.html", html(SITE / "en-index-2.html"), sources()["embassy-la"]
    )
    assert last.next_page() is None  # rel=prev only
    ja = EmbassyListingPage(
        ORIGIN + "/itprtop_ja/index.html", html(SITE / "ja-index.html"), sources()["embassy-la"]
    ).links()
    assert [link.published.date() for link in ja if link.published] == [
        date(2026, 1, 28),
        date(2025, 8, 6),
    ]

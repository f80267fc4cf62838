"""Japan Ministry of Defense page objects on their own (spiders/pages/mod.py): the English
"(Press Release)" / date line, the Japanese era date line and the date a Japanese news URL
spells when the page has none, the article list's pagination, and a Cloudflare challenge
page. Small pages of our own live under tests/fixtures/mod/; the rest comes from the fixture
site (kizuna/demo_sites/mod)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from spiders.dates import date_from_url
from spiders.flow import article_item
from spiders.pages.mod import ExtractionError, ModArticlePage, ModListingPage
from spiders.scope import in_scope

from sites import announced_links, canonicalizer, files_for, sources

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "kizuna/demo_sites/mod"
OWN = Path(__file__).resolve().parent / "fixtures/mod"
ORIGIN = "https://www.mod.go.jp"
EN_ADMM = "/en/article/2025/11/21cf3907f439ce5d4be911f6643e0ee7e53ccb45.html"


def html(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_english_date_line_after_the_category() -> None:
    item = ModArticlePage(
        ORIGIN + EN_ADMM, html(SITE / "en-laos-admm.html"), sources()["mod-en"]
    ).to_item()
    assert item.title == "Japan-Laos Defense Ministerial Meeting"
    assert item.published_at == "2025-11-01T00:00:00+09:00"
    assert item.lang is None
    assert not item.text.startswith("(Press Release)")
    assert "Minister Koizumi (right)" not in item.text  # figure caption
    assert item.text.endswith("the South China Sea and North Korea.")  # not the tags after it


def test_japanese_era_date_line() -> None:
    item = ModArticlePage(
        ORIGIN + "/j/press/news/2026/02/12a.html",
        html(SITE / "ja-laos-cba.html"),
        sources()["mod-ja"],
    ).to_item()
    assert item.published_at == "2026-02-12T00:00:00+09:00"  # 令和8年2月12日
    assert item.lang == "ja"
    assert item.text.startswith("1 概要 防衛省は、")  # the signature line 防衛省 is not body
    assert "ページの先頭へ戻る" not in item.text


def test_japanese_page_without_date_line_takes_the_url_date() -> None:
    item = ModArticlePage(
        ORIGIN + "/j/press/news/2026/03/05b.html",
        html(OWN / "ja-no-dateline.html"),
        sources()["mod-ja"],
    ).to_item()
    assert item.published_at == "2026-03-05T00:00:00+09:00"


def test_date_from_url() -> None:
    tz = ZoneInfo("Asia/Tokyo")
    when = date_from_url(ORIGIN + "/j/press/news/2025/11/01a.html", tz)
    assert when is not None and when.date() == date(2025, 11, 1)
    assert date_from_url(ORIGIN + "/j/press/news/2025/13/01a.html", tz) is None
    assert date_from_url(ORIGIN + EN_ADMM, tz) is None  # year and month only


@pytest.mark.parametrize(
    ("url", "path"),
    [
        (ORIGIN + EN_ADMM, OWN / "cloudflare.html"),
        (ORIGIN + "/en/article/", SITE / "en-list-1.html"),
    ],
    ids=["cloudflare", "article-list"],
)
def test_page_that_is_not_an_article_raises(url: str, path: Path) -> None:
    with pytest.raises(ExtractionError):
        ModArticlePage(url, html(path), sources()["mod-en"]).to_item()


def test_article_list_dates_and_pagination() -> None:
    page = ModListingPage(
        ORIGIN + "/en/article/", html(SITE / "en-list-1.html"), sources()["mod-en"]
    )
    links = page.links()
    assert [
        (link.url.rsplit("/", 2)[1], link.published.date()) for link in links if link.published
    ] == [
        ("02", date(2026, 2, 12)),
        ("01", date(2026, 1, 20)),  # Japan-Philippines: announced; the scope drops it
    ]  # "/en/d_act/exc/index.html" is not an article
    assert page.next_page() == ORIGIN + "/en/article/index_2.html"
    ja = ModListingPage(
        ORIGIN + "/j/press/news/index.html", html(SITE / "ja-news-index.html"), sources()["mod-ja"]
    ).links()
    assert [link.url.removeprefix(ORIGIN) for link in ja] == [
        "/j/press/news/2026/02/12a.html",
        "/j/press/news/2026/01/20a.html",
        "/j/press/news/2025/11/01a.html",  # the PDF between them is left out
    ]


@pytest.mark.parametrize(
    ("key", "url", "kept"),
    [
        (
            "mod-en",
            ORIGIN + "/en/article/2026/01/1707abf6d3ee5e9b401121a602a8d5fe7e72e846.html",
            False,
        ),
        ("mod-en", ORIGIN + EN_ADMM, True),
        ("mod-ja", ORIGIN + "/j/press/news/2026/01/20a.html", False),
        ("mod-ja", ORIGIN + "/j/press/news/2025/11/01a.html", True),
    ],
)
def test_lists_are_read_and_scoped(key: str, url: str, kept: bool) -> None:
    """The Japan-Philippines meeting is announced and read like any other article; the
    `laos` scope drops it."""
    source = sources()[key]
    link = announced_links(source)[canonicalizer()(url)]
    answer = files_for(url).body(url)
    assert answer is not None
    item = article_item(url, answer[0], answer[1], source, link)
    assert in_scope(source.scope, item.title, item.text) is kept

"""MOFA page objects on their own (spiders/pages/mofa.py): era dates (元年 included), section
labels kept out of the headline, the Japanese press index's `M月D日` dates with the year from
the month heading, and pages that are not articles. Small pages of our own live under
tests/fixtures/mofa/; the rest comes from the fixture site (kizuna/demo_sites/mofa)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from spiders.flow import article_item
from spiders.pages.base import Link
from spiders.pages.mofa import ExtractionError, MofaArticlePage, MofaListingPage
from spiders.scope import in_scope

from sites import announced_links, canonicalizer, files_for, sources

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "kizuna/demo_sites/mofa"
OWN = Path(__file__).resolve().parent / "fixtures/mofa"
ORIGIN = "https://www.mofa.go.jp"


def html(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def day(value: str | None) -> date:
    assert value is not None
    return datetime.fromisoformat(value).date()


def test_era_date_line_read_without_hint() -> None:
    item = MofaArticlePage(
        ORIGIN + "/mofaj/press/release/pressit_000001_01234.html",
        html(SITE / "ja-pressit_000001_01234.html"),
        sources()["mofa-ja"],
    ).to_item()
    assert item.published_at == "2025-07-10T00:00:00+09:00"  # 令和7年7月10日, Tokyo
    assert item.lang == "ja"


def test_gannen_and_label_in_headline_text() -> None:
    item = MofaArticlePage(
        ORIGIN + "/mofaj/press/release/press4_000123.html",
        html(OWN / "press-gannen.html"),
        sources()["mofa-ja"],
    ).to_item()
    assert day(item.published_at) == date(2019, 5, 10)  # 令和元年5月10日
    assert item.title == "日・ラオス首脳会談"  # "報道発表　" before it dropped
    assert item.text.startswith("1 5月10日、首相官邸において")


@pytest.mark.parametrize(
    ("route", "file", "title"),
    [
        # label in a <span> inside the h1
        (
            "/mofaj/press/release/press4_010233.html",
            "ja-press4_010233.html",
            "ラオス人民民主共和国に対する無償資金協力「ビエンチャン首都洪水対策施設改善計画」"
            "に関する書簡の交換",
        ),
        # label in a <p> before the h1 (ラオス人民民主共和国)
        (
            "/mofaj/s_sa/sea1/la/page4_006215.html",
            "ja-page4_006215.html",
            "JDSラオス帰国留学生代表団による生稲外務大臣政務官表敬",
        ),
        (
            "/s_sa/sea1/la/page1e_001102.html",
            "en-page1e_001102.html",
            "Japan-Laos Foreign Ministers' Meeting",
        ),
        (
            "/press/release/pressite_000001_01412.html",
            "en-pressite_000001_01412.html",
            "Signing of Exchange of Notes concerning Grant Aid to the Lao People's Democratic "
            "Republic",
        ),
    ],
)
def test_section_label_is_not_part_of_the_title(route: str, file: str, title: str) -> None:
    key = "mofa-ja" if route.startswith("/mofaj/") else "mofa-en"
    item = MofaArticlePage(ORIGIN + route, html(SITE / file), sources()[key]).to_item()
    assert item.title == title
    for label in ("報道発表", "Press Releases", "Japan-Laos Relations"):
        assert not item.text.startswith(label)


def test_english_page_without_date_line_takes_the_hint() -> None:
    hint = Link(
        url=ORIGIN + "/s_sa/sea1/la/page1e_000999.html",
        published=datetime.fromisoformat("2026-03-03T00:00:00+09:00"),
    )
    item = MofaArticlePage(
        hint.url, html(OWN / "en-no-dateline.html"), sources()["mofa-en"], hint
    ).to_item()
    assert item.title == "Courtesy Call on Foreign Minister by Lao Youth Delegation"
    # Not the "(March 3, 2020)" of the Related Links after the body.
    assert item.published_at == "2026-03-03T00:00:00+09:00"
    assert item.lang is None  # English pages: detected from the text
    assert "Related Links" not in item.text


def test_caption_and_reference_block() -> None:
    item = MofaArticlePage(
        ORIGIN + "/s_sa/sea1/la/page1e_001102.html",
        html(SITE / "en-page1e_001102.html"),
        sources()["mofa-en"],
    ).to_item()
    assert "Photo: Cabinet Public Affairs Office" not in item.text
    assert "Share" not in item.text
    ref = MofaArticlePage(
        ORIGIN + "/press/release/pressite_000001_01412.html",
        html(SITE / "en-pressite_000001_01412.html"),
        sources()["mofa-en"],
    ).to_item()
    assert ref.text.endswith("a population of approximately 7.7 million (2024).")


@pytest.mark.parametrize(
    ("path", "url"),
    [
        (OWN / "waf-403.html", ORIGIN + "/press/release/pressite_000001_01500.html"),
        (SITE / "ja-laos.html", ORIGIN + "/mofaj/area/laos/index.html"),
        (SITE / "ja-press-index.html", ORIGIN + "/mofaj/press/release/index.html"),
    ],
    ids=["waf-403", "country-page", "press-index"],
)
def test_page_that_is_not_an_article_raises(path: Path, url: str) -> None:
    with pytest.raises(ExtractionError):
        MofaArticlePage(url, html(path), sources()["mofa-ja"]).to_item()


def test_japanese_press_index_year_from_month_heading() -> None:
    page = MofaListingPage(
        ORIGIN + "/mofaj/press/release/index.html",
        html(OWN / "press-index-yearend.html"),
        sources()["mofa-ja"],
    )
    links = page.links()
    assert [link.url for link in links] == [
        ORIGIN + "/mofaj/press/release/pressit_000001_01001.html",
        ORIGIN + "/mofaj/press/release/press4_009990.html",  # relative link resolved
    ]  # the PDF is not an article; the repeat with a #fragment is the same page
    assert [link.published.date() for link in links if link.published] == [
        date(2025, 1, 6),  # 令和7年1月 → 1月6日
        date(2024, 12, 27),  # 令和6年12月 → 12月27日
    ]
    assert links[0].title == "ラオスに対する無償資金協力（テスト）"
    assert page.next_page() is None


def test_fixture_indexes_announce_off_topic_releases_too() -> None:
    en = MofaListingPage(
        ORIGIN + "/press/release/index.html",
        html(SITE / "en-press-index.html"),
        sources()["mofa-en"],
    ).links()
    assert [link.url.rsplit("/", 1)[1] for link in en] == [
        "pressite_000001_01415.html",  # Brazil: kept out by the `laos` scope, not here
        "pressite_000001_01412.html",
        "press4e_004128.html",
    ]
    assert en[1].published is not None and en[1].published.date() == date(2026, 1, 20)
    country = MofaListingPage(
        ORIGIN + "/mofaj/area/laos/index.html", html(SITE / "ja-laos.html"), sources()["mofa-ja"]
    ).links()
    assert [
        (link.url.rsplit("/", 1)[1], link.published.date()) for link in country if link.published
    ] == [
        ("press4_010233.html", date(2026, 1, 20)),
        ("pressit_000001_01234.html", date(2025, 7, 10)),
        ("page4_006215.html", date(2025, 9, 3)),
    ]


@pytest.mark.parametrize(
    ("key", "url", "kept"),
    [
        ("mofa-en", ORIGIN + "/press/release/pressite_000001_01415.html", False),
        ("mofa-en", ORIGIN + "/press/release/pressite_000001_01412.html", True),
        ("mofa-ja", ORIGIN + "/mofaj/press/release/pressit_000001_01590.html", False),
        ("mofa-ja", ORIGIN + "/mofaj/press/release/press4_010233.html", True),
    ],
)
def test_press_index_releases_are_read_and_scoped(key: str, url: str, kept: bool) -> None:
    """The press indexes list releases on every country: the one about Brazil is announced
    and read like any other, and the `laos` scope drops it."""
    source = sources()[key]
    link = announced_links(source)[canonicalizer()(url)]
    answer = files_for(url).body(url)
    assert answer is not None
    item = article_item(url, answer[0], answer[1], source, link)
    assert in_scope(source.scope, item.title, item.text) is kept

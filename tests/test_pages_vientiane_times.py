"""Vientiane Times page objects (spiders/pages/vientiane_times.py) beyond what
test_source_pages.py checks: issue dates put into each link (the article pages have none),
an article without that hint (no date, by decision), the walk back through issue indexes,
the identity rule that makes the current and the archived path one article, and a redesign
raising ExtractionError. Small pages of our own: tests/fixtures/vientiane_times/."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from config.registry import Source
from spiders.pages.base import ExtractionError, Link
from spiders.pages.vientiane_times import VtArticlePage, VtListingPage, issue_of

from sites import canonicalizer, sources

OWN = Path(__file__).resolve().parent / "fixtures/vientiane_times"
SITE = Path(__file__).resolve().parents[1] / "kizuna/demo_sites/vientiane-times"
ORIGIN = "https://www.vientianetimes.org.la"
HOME = ORIGIN + "/"
INDEX_227 = ORIGIN + "/sub-new/Previous_227_y26/index.html"
INDEX_226 = ORIGIN + "/sub-new/Previous_226_y26/index.html"
CURRENT_227 = ORIGIN + "/freefreenews/freecontent_227_Laos_Japan_y26.php"
ARCHIVED_227 = ORIGIN + "/sub-new/Previous_227_y26/freefreenews/freecontent_227_Laos_Japan_y26.php"


def source() -> Source:
    return sources()["vientiane-times"]


def own(name: str) -> str:
    return (OWN / name).read_text(encoding="utf-8")


def site(name: str) -> str:
    return (SITE / name).read_text(encoding="utf-8")


def listing(url: str, html: str) -> VtListingPage:
    return VtListingPage(url, html, source())


def dated(links: list[Link]) -> list[tuple[str, date | None]]:
    return [
        (link.url.removeprefix(ORIGIN), link.published.date() if link.published else None)
        for link in links
    ]


# ---------------------------------------------------------------- listings


def test_home_page_dates_each_link_by_its_issue() -> None:
    """Issue 228's stories take the page's date; the "Most read" story of issue 227 takes
    the date the "Previous issues" list gives issue 227, not the home page's."""
    links = listing(HOME, site("home.html")).links()
    assert dated(links) == [
        ("/freefreenews/freecontent_228_Vientiane_bus_y26.php", date(2026, 11, 20)),
        ("/freefreenews/freecontent_228_Rice_exports_y26.php", date(2026, 11, 20)),
        ("/freefreenews/freecontent_227_Laos_Japan_y26.php", date(2026, 11, 19)),
    ]
    assert all(str(link.published.tzinfo) == "Asia/Vientiane" for link in links if link.published)


def test_titles_come_from_headlines_not_more_links() -> None:
    links = listing(HOME, site("home.html")).links()
    assert links[0].title == "Vientiane to get low-emission buses, bus lanes under Japanese loan"
    assert not any(link.title and ">>>" in link.title for link in links)
    # "More >>>" first, headline second: the headline still names the link.
    links = listing(HOME, own("home-no-issue-line.html")).links()
    assert links[0].title == "Japanese volunteers teach nursing in Luang Prabang"


def test_issue_index_dates_its_archived_links() -> None:
    links = listing(INDEX_227, site("previous-227-y26.html")).links()
    assert dated(links) == [
        (
            "/sub-new/Previous_227_y26/freefreenews/freecontent_227_Laos_Japan_y26.php",
            date(2026, 11, 19),
        ),
        (
            "/sub-new/Previous_227_y26/freefreenews/freecontent_227_UXO_clearance_y26.php",
            date(2026, 11, 19),
        ),
    ]


def test_link_of_an_issue_the_page_does_not_date_has_no_date() -> None:
    links = listing(HOME, own("home-no-issue-line.html")).links()
    assert dated(links) == [
        ("/freefreenews/freecontent_41_Nursing_y26.php", date(2026, 3, 3)),
        ("/freefreenews/freecontent_38_Old_story_y26.php", None),
    ]


@pytest.mark.parametrize(
    ("url", "html", "expected"),
    [
        (HOME, "home.html", INDEX_227),
        (INDEX_227, "previous-227-y26.html", INDEX_226),  # not its "Next issue >>" (228)
        (INDEX_226, "previous-226-y26.html", ORIGIN + "/sub-new/Previous_225_y26/index.html"),
    ],
)
def test_next_page_walks_back_one_issue(url: str, html: str, expected: str) -> None:
    assert listing(url, site(html)).next_page() == expected


def test_next_page_across_the_year_and_without_an_issue_line() -> None:
    page = listing(HOME, own("home-no-issue-line.html"))
    assert page.own_issue() == (26, 41)  # from the article links
    assert page.next_page() == ORIGIN + "/sub-new/Previous_40_y26/index.html"
    first = listing(ORIGIN + "/sub-new/Previous_1_y26/index.html", own("home-no-issue-line.html"))
    assert first.next_page() == ORIGIN + "/sub-new/Previous_365_y25/index.html"


def test_issue_of() -> None:
    assert issue_of(CURRENT_227) == (26, 227)
    assert issue_of(ARCHIVED_227) == (26, 227)
    assert issue_of(INDEX_226) == (26, 226)
    assert issue_of(ORIGIN + "/freeContent/FreeConten_Laos.php") is None


# ---------------------------------------------------------------- identity


def test_current_and_archived_paths_are_one_article() -> None:
    assert canonicalizer()(CURRENT_227) == canonicalizer()(ARCHIVED_227) == ARCHIVED_227
    assert canonicalizer()(ARCHIVED_227.replace("https://www.", "http://")) == ARCHIVED_227


# ---------------------------------------------------------------- article pages


def test_article_takes_its_date_from_the_hint() -> None:
    hint = listing(HOME, site("home.html")).links()[2]
    item = VtArticlePage(CURRENT_227, site("article-227-Laos_Japan.html"), source(), hint).to_item()
    assert item.published_at == "2026-11-19T00:00:00+07:00"
    assert item.title == "Laos, Japan hold defence talks, agree on disaster relief training"


def test_article_without_hint_has_no_date() -> None:
    """Decision: no date rather than an error. The page states none (the sidebar's
    "Previous issues" dates are other issues'), and the URL gives issue and year only."""
    item = VtArticlePage(CURRENT_227, own("article.html"), source()).to_item()
    assert item.published_at is None
    assert item.title == "Japanese volunteers teach nursing in Luang Prabang"


def test_article_body_has_no_byline_share_or_sidebar() -> None:
    item = VtArticlePage(CURRENT_227, own("article.html"), source()).to_item()
    assert item.text == (
        "Four Japanese nurses have begun two-year assignments at the provincial hospital in "
        "Luang Prabang.\n\nThey will train young nurses in patient care and hygiene."
    )
    assert item.lang is None


def test_layout_change_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError):
        item = VtArticlePage(CURRENT_227, own("layout-changed.html"), source()).to_item()
        pytest.fail(f"extracted {item.title!r}: {item.text!r}")


def test_headline_without_body_is_an_extraction_error() -> None:
    html = own("article.html")
    start, end = html.index('<p class="author">'), html.index("</div>", html.index("news-detail"))
    with pytest.raises(ExtractionError):
        VtArticlePage(CURRENT_227, html[:start] + html[end:], source()).to_item()

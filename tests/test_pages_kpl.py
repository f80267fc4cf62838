"""KPL page objects on their own: (url, html) in, items and links out. No server, no reactor.

The expected values come from the bundled fixture site (kizuna/demo_sites/kpl/expected.yaml and
site.yaml); two small pages of our own under tests/fixtures/kpl/ cover a redesign and an empty
category.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.registry import load_sources
from spiders.pages.kpl import ExtractionError, KplArticlePage, KplListingPage, article_url

REPO = Path(__file__).resolve().parents[1]
SITE_DIR = REPO / "kizuna/demo_sites/kpl"
OWN = Path(__file__).resolve().parent / "fixtures/kpl"

SITE: dict[str, Any] = yaml.safe_load((SITE_DIR / "site.yaml").read_text(encoding="utf-8"))
EXPECTED: dict[str, Any] = yaml.safe_load((SITE_DIR / "expected.yaml").read_text(encoding="utf-8"))
ORIGIN: str = SITE["origin"]
KPL = next(s for s in load_sources(REPO / "config") if s.key == "kpl-en")
ITEMS: list[dict[str, Any]] = EXPECTED["items"]
LISTINGS = [
    "/En/News.aspx?cat=13",
    "/En/News.aspx?cat=13&page=2",
    "/En/News.aspx?cat=13&page=3",
]


def page_html(route: str) -> str:
    return (SITE_DIR / SITE["routes"][route]).read_text(encoding="utf-8")


def listing(route: str) -> KplListingPage:
    return KplListingPage(ORIGIN + route, page_html(route), KPL)


def test_fixture_site_is_complete() -> None:
    """Guards the parametrised tests below against silently running on nothing."""
    assert len(ITEMS) == EXPECTED["article_count"] == 12
    for item in ITEMS:
        assert item["route"] in SITE["routes"]


# ---------------------------------------------------------------- article pages


@pytest.mark.parametrize("expected", ITEMS, ids=[i["route"].rsplit("=", 1)[1] for i in ITEMS])
def test_article_page_gives_expected_item(expected: dict[str, Any]) -> None:
    item = KplArticlePage(ORIGIN + expected["route"], page_html(expected["route"]), KPL).to_item()

    assert item.url == expected["url"]
    assert item.title == expected["title"]
    assert item.published_at is not None
    assert datetime.fromisoformat(item.published_at) == datetime.fromisoformat(
        expected["published_at"]
    )
    assert item.published_at.endswith("+07:00"), "KPL prints Vientiane time"
    assert item.text.startswith(expected["body_starts"])
    assert item.lang == expected["lang"]
    assert item.source == "kpl-en"


@pytest.mark.parametrize("expected", ITEMS, ids=[i["route"].rsplit("=", 1)[1] for i in ITEMS])
def test_article_text_has_no_page_furniture(expected: dict[str, Any]) -> None:
    item = KplArticlePage(ORIGIN + expected["route"], page_html(expected["route"]), KPL).to_item()
    paragraphs = item.text.split("\n\n")

    assert not any(p.lower().startswith("email print") for p in paragraphs), paragraphs[:3]
    assert len(paragraphs) == len(set(paragraphs)), "a paragraph (caption or lead) repeated"
    assert "Copyright" not in item.text
    assert "updated daily" not in item.text  # sidebar card
    assert item.title not in paragraphs


def test_caption_repeated_as_lead_is_dropped() -> None:
    """On 89210 the photo caption is also the first paragraph: the body starts at (KPL)."""
    route = "/En/Detail.aspx?id=89210"
    html = page_html(route)
    caption = "A freight train loaded with cassava and rubber departs from Vientiane South Station."
    assert html.count(caption) == 2  # the fixture really repeats it
    item = KplArticlePage(ORIGIN + route, html, KPL).to_item()
    assert caption not in item.text
    assert item.text.startswith("(KPL) The Laos-China Railway")


def test_alias_route_gives_the_canonical_url() -> None:
    """The same article reached through its lower-case, tracked link has one URL."""
    alias = "/en/detail.aspx?id=88879&utm_source=home"
    item = KplArticlePage(ORIGIN + alias, page_html(alias), KPL).to_item()
    assert item.url == "https://kpl.gov.la/En/Detail.aspx?id=88879"


def test_page_without_any_content_container_is_an_extraction_error() -> None:
    html = "<html><head><title>Service Unavailable</title></head><body><p>Busy</p></body></html>"
    with pytest.raises(ExtractionError):
        KplArticlePage("https://kpl.gov.la/En/Detail.aspx?id=88704", html, KPL).to_item()


def test_layout_changed_page_is_an_extraction_error() -> None:
    """A redesign that drops the content block must be reported, not stored as an article."""
    html = (OWN / "layout-changed.html").read_text(encoding="utf-8")
    with pytest.raises(ExtractionError):
        item = KplArticlePage("https://kpl.gov.la/En/Detail.aspx?id=88704", html, KPL).to_item()
        pytest.fail(f"extracted {item.text!r} (published_at={item.published_at})")


def test_non_article_url_is_an_extraction_error() -> None:
    route = "/En/Detail.aspx?id=88704"
    with pytest.raises(ExtractionError):
        KplArticlePage(ORIGIN + "/En/News.aspx?cat=13", page_html(route), KPL).to_item()


# ---------------------------------------------------------------- listing pages


def test_listing_entries_in_page_order_with_canonical_urls_and_dates() -> None:
    by_url = {i["url"]: i for i in ITEMS}
    seen: list[str] = []
    for route in LISTINGS:
        for entry in listing(route).links():
            expected = by_url[entry.url]  # KeyError: not a canonical article URL
            assert entry.title == expected["title"]
            assert entry.published is not None
            assert entry.published.date() == datetime.fromisoformat(expected["published_at"]).date()
            if entry.url not in seen:
                seen.append(entry.url)
    # Across the three pages, in page order, every article exactly as expected.yaml lists them.
    assert seen == [i["url"] for i in ITEMS]


def test_listing_page_two_includes_sidebar_link_in_canonical_form() -> None:
    urls = [e.url for e in listing(LISTINGS[1]).links()]
    assert urls == [
        "https://kpl.gov.la/En/Detail.aspx?id=88842",
        "https://kpl.gov.la/En/Detail.aspx?id=88803",  # linked as lower-case detail.aspx
        "https://kpl.gov.la/En/Detail.aspx?id=88771",
        "https://kpl.gov.la/En/Detail.aspx?id=88760",
        "https://kpl.gov.la/En/Detail.aspx?id=88879",  # "Most read": ?id=88879&utm_source=home
    ]


def test_listing_dates_are_read_day_first() -> None:
    dates = [e.published.date() for e in listing(LISTINGS[0]).links() if e.published]
    # 06/03/2025 is 6 March (not 3 June); 12/02/2025 is 12 February.
    assert dates == [date(2025, 3, 20), date(2025, 3, 6), date(2025, 2, 12), date(2025, 1, 23)]


def test_duplicate_links_within_a_page_are_dropped() -> None:
    """The same article linked again with another spelling keeps its first position only."""
    html = page_html(LISTINGS[0])
    extra = (
        '<li><h3><a href="/en/detail.aspx?ID=89384&amp;utm_source=facebook">Laos and Japan Hold '
        "First Foreign Vice-Ministerial Consultation</a></h3>"
        '<p class="uk-text-small uk-text-muted">20/03/2025</p></li>\n'
        '<li><h3><a href="HTTPS://KPL.GOV.LA/EN/DETAIL.ASPX?id=89047#top">Visa</a></h3></li>\n'
    )
    assert html.count("</ul>") >= 1
    html = html.replace("</ul>", extra + "</ul>", 1)
    urls = [e.url for e in KplListingPage(ORIGIN + LISTINGS[0], html, KPL).links()]
    assert urls == [
        "https://kpl.gov.la/En/Detail.aspx?id=89384",
        "https://kpl.gov.la/En/Detail.aspx?id=89210",
        "https://kpl.gov.la/En/Detail.aspx?id=89047",
        "https://kpl.gov.la/En/Detail.aspx?id=88879",
    ]


@pytest.mark.parametrize(
    ("route", "next_route"),
    [
        (LISTINGS[0], LISTINGS[1]),
        (LISTINGS[1], LISTINGS[2]),
        (LISTINGS[2], None),
    ],
)
def test_next_page(route: str, next_route: str | None) -> None:
    nxt = listing(route).next_page()
    assert nxt == (ORIGIN + next_route if next_route else None)


def test_empty_listing_has_no_entries() -> None:
    html = (OWN / "listing-empty.html").read_text(encoding="utf-8")
    page = KplListingPage(ORIGIN + LISTINGS[0], html, KPL)
    assert page.links() == []
    assert page.next_page() is None


# ---------------------------------------------------------------- article_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://kpl.gov.la/en/detail.aspx?id=88879&utm_source=x",
            "https://kpl.gov.la/En/Detail.aspx?id=88879",
        ),
        (
            "https://kpl.gov.la/EN/Detail.aspx?ID=88879",
            "https://kpl.gov.la/En/Detail.aspx?id=88879",
        ),
        (
            "https://KPL.gov.la/En/DETAIL.ASPX?id=88879",
            "https://kpl.gov.la/En/Detail.aspx?id=88879",
        ),
        (
            "https://kpl.gov.la/En/Detail.aspx?utm_medium=social&id=88879",
            "https://kpl.gov.la/En/Detail.aspx?id=88879",
        ),
        (
            "https://kpl.gov.la/En/Detail.aspx?id=088879#comments",
            "https://kpl.gov.la/En/Detail.aspx?id=88879",
        ),
        (
            "https://kpl.gov.la/En/Detail.aspx?id=88879",
            "https://kpl.gov.la/En/Detail.aspx?id=88879",
        ),
    ],
)
def test_article_url_normalises_case_and_tracking(url: str, expected: str) -> None:
    assert article_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://kpl.gov.la/En/News.aspx?cat=13",
        "https://kpl.gov.la/En/Detail.aspx?pid=88879",
        "https://kpl.gov.la/En/Detail.aspx",
        "https://kpl.gov.la/En/",
        "https://kpl.gov.la/Detail.aspx?id=88879",  # the Lao-language site, not /En/
    ],
)
def test_article_url_rejects_non_articles(url: str) -> None:
    assert article_url(url) is None

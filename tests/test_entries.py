"""The entry parsers on their own (spiders/entries/): feeds, the WordPress REST API and
sitemaps, from tiny inputs under tests/fixtures/entries/. No server, no reactor.

Gaps found when these were written (an empty feed taken for "not a feed", HTML entities
left in titles, gzipped sitemaps) are fixed; their tests stay as regressions.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from spiders.entries.feed import FeedError, feed_links
from spiders.entries.sitemap import SitemapError, read_sitemap
from spiders.entries.wordpress import PER_PAGE, ApiError, post_links, posts_url

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "entries"
FEED_URL = "https://news.example.org/countries/laos/feed/"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- feeds ------------------------------------------------------------------------------


def test_rss20_items_become_links_in_feed_order() -> None:
    links = feed_links(fixture("rss20.xml"), FEED_URL)
    assert [link.url for link in links] == [
        "https://news.example.org/2025/03/japan-laos-flood-warning-grant/",
        # a relative <link> is resolved against the feed's URL; its absolute repeat is dropped
        "https://news.example.org/2025/03/vientiane-bus-lanes-open/",
        # the item without a <link> is skipped
        "https://news.example.org/2025/03/undated-note/",
    ]


def test_rss20_title_summary_and_date() -> None:
    first, second, undated = feed_links(fixture("rss20.xml"), FEED_URL)
    assert first.title == "Japan & Laos Sign Grant for Flood Warning System"
    # description HTML reduced to text, entities decoded
    assert first.summary == "The grant covers rain gauges & sirens in three provinces."
    # "Tue, 18 Mar 2025 10:00:00 +0700" is 03:00 UTC
    assert first.published == datetime(2025, 3, 18, 3, 0, tzinfo=UTC)
    assert first.published.utcoffset() == timedelta(0)
    assert second.published == datetime(2025, 3, 17, 23, 30, tzinfo=UTC)
    assert second.summary is None
    assert undated.published is None
    # a feed carries no full text: the article page is fetched
    assert all(link.text is None for link in (first, second, undated))


def test_atom_entries_with_published_or_updated_dates_in_utc() -> None:
    links = feed_links(fixture("atom.xml"), "https://press.example.jp/en/press.atom")
    assert [link.url for link in links] == [
        # href resolved against xml:base
        "https://press.example.jp/en/press/2025/0319_01.html",
        "https://press.example.jp/en/press/2025/0318_02.html",
    ]
    grant, consultation = links
    assert grant.title == "Exchange of Notes on a Grant to the Lao PDR"
    assert grant.summary == "Signing in Vientiane."
    # <published> wins over <updated>: 17:30 JST is 08:30 UTC
    assert grant.published == datetime(2025, 3, 19, 8, 30, tzinfo=UTC)
    # only <updated>: 23:00 at UTC-5 is 04:00 UTC the next day
    assert consultation.published == datetime(2025, 3, 18, 4, 0, tzinfo=UTC)
    assert consultation.published.tzinfo is UTC


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(fixture("challenge.html"), id="cloudflare-challenge"),
        pytest.param(b"", id="empty-body"),
        pytest.param(fixture("wp-error.json"), id="json-error"),
    ],
)
def test_a_body_that_is_not_a_feed_raises_feed_error(body: bytes) -> None:
    with pytest.raises(FeedError):
        feed_links(body, FEED_URL)


def test_feed_error_is_a_value_error() -> None:
    # flow.read_entry documents ValueError for bodies that are not what the entry says
    assert issubclass(FeedError, ValueError)


def test_a_valid_feed_with_no_items_gives_no_links() -> None:
    assert feed_links(fixture("rss20-empty.xml"), FEED_URL) == []


def test_atom_html_title_entities_are_decoded() -> None:
    (link,) = feed_links(fixture("atom-html-title.xml"), "https://news.example.org/feed/atom/")
    assert link.title == "Japan & Laos’s Strategic Partnership"


def test_atom_html_summary_entities_are_decoded() -> None:
    (link,) = feed_links(fixture("atom-html-title.xml"), "https://news.example.org/feed/atom/")
    assert link.summary == "Ties & trade."
    assert link.published == datetime(2025, 3, 18, 1, 0, tzinfo=UTC)


# --- WordPress REST API -----------------------------------------------------------------


def test_posts_url_is_the_query_kizuna_sends() -> None:
    url = posts_url(
        "https://think.example.sg/wp-json/wp/v2/posts", search="Laos", page=1, after=None
    )
    assert url == (
        "https://think.example.sg/wp-json/wp/v2/posts"
        f"?order=desc&orderby=date&per_page={PER_PAGE}&search=Laos"
    )


def test_posts_url_keeps_the_endpoints_own_query_and_adds_page_and_after() -> None:
    url = posts_url(
        "https://think.example.sg/wp-json/wp/v2/posts?tags_exclude=1593",
        search="Japan Laos",
        page=3,
        after="2025-01-01T00:00:00",
    )
    parts = urlsplit(url)
    assert parts.path == "/wp-json/wp/v2/posts"
    assert dict(parse_qsl(parts.query)) == {
        "tags_exclude": "1593",
        "search": "Japan Laos",
        "page": "3",
        "after": "2025-01-01T00:00:00",
        "per_page": str(PER_PAGE),
        "orderby": "date",
        "order": "desc",
    }
    # parameters sorted: the same query always gives the same URL (crawler dedupe, fixtures)
    keys = [k for k, _ in parse_qsl(parts.query)]
    assert keys == sorted(keys)


def test_posts_url_without_search_has_no_search_parameter() -> None:
    url = posts_url("https://think.example.sg/wp-json/wp/v2/posts", search=None, page=1, after=None)
    assert "search" not in dict(parse_qsl(urlsplit(url).query))
    assert "page" not in dict(parse_qsl(urlsplit(url).query))


def test_posts_become_links_with_full_text_and_gmt_date() -> None:
    links = post_links(fixture("wp-posts.json"))
    # the block without a `link` is skipped
    assert [link.url for link in links] == [
        "https://think.example.sg/japan-laos-debt-management-training/",
        "https://think.example.sg/aseanfocus/mekong-power/",
    ]
    first, second = links
    # rendered title: entities decoded (&#038; and WordPress's curly apostrophe)
    assert first.title == "Japan & Laos: Debt Management Training’s Second Year"
    # date_gmt, not the site-local `date` (14:30 in Singapore is 06:30 UTC)
    assert first.published == datetime(2025, 3, 18, 6, 30, tzinfo=UTC)
    assert first.published.astimezone(timezone(timedelta(hours=8))).hour == 14
    assert first.summary == "A second year of training for Lao officials."
    # the full text, one paragraph a line, tags gone, entities decoded
    assert first.text is not None
    assert first.text.splitlines() == [
        "Officials from the Lao Ministry of Finance began a second year of training in public "
        "debt management in Tokyo.",
        "The course, funded by JICA, covers debt recording & reporting.",
    ]
    assert second.text == "Laos exports most of its hydropower to its neighbours."
    assert second.published == datetime(2025, 3, 10, 1, 0, tzinfo=UTC)
    assert second.summary is None  # empty excerpt


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(fixture("challenge.html"), id="html-challenge"),
        pytest.param(b"", id="empty-body"),
        pytest.param(b'[{"id": 1,', id="truncated-json"),
        pytest.param(fixture("wp-error.json"), id="rest-error-object"),
    ],
)
def test_a_body_that_is_not_a_posts_list_raises_api_error(body: bytes) -> None:
    with pytest.raises(ApiError):
        post_links(body)


def test_an_empty_posts_list_gives_no_links() -> None:
    assert post_links(b"[]") == []


# --- sitemaps ---------------------------------------------------------------------------


def test_urlset_gives_links_with_lastmod() -> None:
    links, children = read_sitemap(fixture("sitemap-urlset.xml"))
    assert children == []
    assert [link.url for link in links] == [
        "https://news.example.org/2025/03/japan-laos-flood-warning-grant/",
        "https://news.example.org/2025/03/vientiane-bus-lanes-open/",
        "https://news.example.org/about/",
    ]
    flood, bus, about = links
    assert flood.published == datetime(2025, 3, 18, 3, 0, tzinfo=UTC)
    # a date alone: midnight UTC
    assert bus.published == datetime(2025, 3, 17, 0, 0, tzinfo=UTC)
    assert about.published is None
    assert all(link.title is None and link.text is None for link in links)


def test_sitemap_index_gives_child_sitemaps_and_no_links() -> None:
    links, children = read_sitemap(fixture("sitemap-index.xml"))
    assert links == []
    assert children == [
        ("https://news.example.org/post-sitemap1.xml", datetime(2025, 3, 18, 3, 0, tzinfo=UTC)),
        ("https://news.example.org/page-sitemap.xml", None),
    ]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"garbage \x00\xff not xml", id="garbage"),
        pytest.param(b"", id="empty-body"),
        pytest.param(fixture("challenge.html"), id="html-challenge"),
        pytest.param(fixture("rss20.xml"), id="a-feed"),
    ],
)
def test_a_body_that_is_not_a_sitemap_raises_sitemap_error(body: bytes) -> None:
    with pytest.raises(SitemapError):
        read_sitemap(body)


def test_a_gzipped_sitemap_is_read() -> None:
    links, _ = read_sitemap(gzip.compress(fixture("sitemap-urlset.xml")))
    assert len(links) == 3

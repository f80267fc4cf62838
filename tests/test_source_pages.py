"""Every source's page objects, from its fixture files alone: the entry pages (feed,
listing, API, sitemap) announce each expected article, and the article page (or the API
entry) gives the expected title, date, start of body and language.

The expected items live beside each fixture site (kizuna/demo_sites/<site>/expected.yaml);
the crawl tests check the same items arrive in the database through a real crawl.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from matching.lang import detect_language
from spiders.flow import article_item, item_from_link
from spiders.pages.base import clean

from sites import announced_links, canonicalizer, expected_items, files_for, site_files, sources

ITEMS = expected_items()


def test_every_enabled_source_has_a_fixture_site_with_two_articles() -> None:
    per_source: dict[str, int] = {}
    for item in ITEMS:
        per_source[item["source"]] = per_source.get(item["source"], 0) + 1
    for key, source in sources().items():
        if source.enabled:
            assert per_source.get(key, 0) >= 2, f"{key}: fewer than two expected articles"
    assert set(per_source) <= set(sources()), "expected items of an unknown source"
    assert site_files(), "no fixture sites found"


def _item(expected: dict[str, Any]) -> Any:
    source = sources()[expected["source"]]
    links = announced_links(source)
    key = canonicalizer()(expected["url"])
    assert key in links, f"no entry page of {source.key} announces {expected['url']}"
    link = links[key]
    if link.text:
        return item_from_link(link, source)
    answer = files_for(link.url).body(link.url)
    assert answer is not None, f"fixture site has no page for {link.url}"
    body, ctype = answer
    return article_item(link.url, body, ctype, source, link)


@pytest.mark.parametrize(
    "expected", ITEMS, ids=[f"{i['source']}:{i['url'].rsplit('/', 1)[-1][-40:]}" for i in ITEMS]
)
def test_article_gives_expected_item(expected: dict[str, Any]) -> None:
    item = _item(expected)
    assert canonicalizer()(item.url) == canonicalizer()(expected["url"])
    assert item.title == expected["title"]
    assert item.published_at is not None, "no date"
    got = datetime.fromisoformat(item.published_at)
    want = datetime.fromisoformat(str(expected["published_at"]))
    if want.tzinfo is None:  # a date alone: the day as the source's own calendar says
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(sources()[expected["source"]].timezone)
        assert got.astimezone(tz).date() == want.date()
    else:
        assert got == want
    assert clean(item.text).startswith(clean(expected["body_starts"])), item.text[:200]
    lang = item.lang or detect_language(f"{item.title}\n{item.text}")
    assert lang == expected["lang"]

"""Sources read by the generic page objects (MP-IDSA, US-ASEAN Business Council, Asia News
Network, Laotian Times): what their fixture sites check beyond test_source_pages.py. The
off-topic pieces their entry pages announce fall outside the scope, the membership banner
is not the body, and ANN's article pattern keeps out the feed and archive pages."""

from __future__ import annotations

import re

import pytest

from spiders.flow import article_item
from spiders.scope import in_scope

from sites import announced_links, canonicalizer, files_for, site_files, sources

# Announced by the entry pages, read fine, but about neither Laos nor Japan–Laos.
OFF_TOPIC = {
    "idsa": [
        "https://www.idsa.in/publisher/issuebrief/india-maldives-relations-after-the-2024-reset",
        "https://www.idsa.in/publisher/idsa-comments/sri-lanka-debt-restructuring-and-indian-ocean-security",
    ],
    "usabc": [
        "https://www.usasean.org/article/vietnam-issues-decree-on-cross-border-data-transfers"
    ],
    "asia-news-network": [
        "https://asianews.network/malaysias-palm-oil-exports-climb-as-indian-demand-recovers/"
    ],
}


def _read(key: str, url: str):  # type: ignore[no-untyped-def]
    source = sources()[key]
    link = announced_links(source)[canonicalizer()(url)]
    answer = files_for(url).body(url)
    assert answer is not None, f"no fixture page for {url}"
    return article_item(url, answer[0], answer[1], source, link)


@pytest.mark.parametrize(("key", "url"), [(k, u) for k, urls in OFF_TOPIC.items() for u in urls])
def test_off_topic_piece_is_announced_read_and_out_of_scope(key: str, url: str) -> None:
    source = sources()[key]
    assert source.scope == "laos"
    item = _read(key, url)
    assert item.title and len(item.text) > 200
    assert not in_scope(source.scope, item.title, item.text)
    stored = {canonicalizer()(i["url"]) for i in site_files()[key].expected}
    assert canonicalizer()(url) not in stored


@pytest.mark.parametrize("key", ["idsa", "usabc", "asia-news-network", "laotian-times"])
def test_every_expected_item_is_in_scope(key: str) -> None:
    source = sources()[key]
    expected = site_files()[key].expected
    assert len(expected) >= 2
    for want in expected:
        item = _read(key, want["url"])
        assert in_scope(source.scope, item.title, item.text), want["url"]


def test_laotian_times_keeps_a_lao_story_without_japan() -> None:
    item = _read(
        "laotian-times",
        "https://laotiantimes.com/2025/12/11/laos-welcomes-over-four-million-international-visitors-in-first-ten-months/",
    )
    assert sources()["laotian-times"].scope == "all"
    assert not in_scope("japan", item.title, item.text)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.usasean.org/article/lao-special-economic-zones-court-japanese-manufacturers",
        "https://www.usasean.org/article/japan-and-laos-upgrade-ties-to-comprehensive-strategic-partnership",
    ],
)
def test_usabc_membership_banner_is_not_the_body(url: str) -> None:
    page = files_for(url).body(url)
    assert page is not None and b"Upgrade your membership plan" in page[0]
    item = _read("usabc", url)
    assert "membership" not in item.text.lower()
    assert "Upgrade now" not in item.text


@pytest.mark.parametrize(
    ("url", "is_article"),
    [
        (
            "https://asianews.network/laos-japan-advance-plans-for-vientiane-bus-rapid-transit/",
            True,
        ),
        ("https://asianews.network/feeder-roads-reach-remote-villages", True),
        ("https://asianews.network/feed/", False),
        ("https://asianews.network/feed", False),
        ("https://asianews.network/category/", False),
        ("https://asianews.network/category/southeast-asia/", False),
        ("https://asianews.network/tag/japan/", False),
        ("https://asianews.network/page/2/", False),
        ("https://asianews.network/about-us/", False),
        ("https://asianews.network/laos-japan-advance-plans/feed/", False),
    ],
)
def test_ann_article_pattern(url: str, is_article: bool) -> None:
    patterns = sources()["asia-news-network"].article_patterns
    assert any(re.search(p, url) for p in patterns) is is_article

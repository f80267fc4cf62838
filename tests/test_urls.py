"""Canonical URLs and request fingerprints: site-independent cleaning, the identity rules of
config/sources.yaml (KPL letter case, Vientiane Times archive move), their validation, and a
real crawl of the KPL fixture site on 127.0.0.1 that fetches each article once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import scrapy
import yaml
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.request import RequestFingerprinter

from config.errors import ConfigError
from config.registry import IdentityRule, load_identity_rules, load_sources
from config.settings import load_settings
from spiders.fingerprint import IDENTITY_RULES_SETTING, CanonicalRequestFingerprinter
from spiders.settings import scrapy_settings
from storage.urls import UrlCanonicalizer, canonical_url, clean_url

from conftest import Env, mirrors_for

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
RULES = load_identity_rules(REPO / "config")
canonical = UrlCanonicalizer(RULES)

KPL_88879 = "https://kpl.gov.la/En/Detail.aspx?id=88879"
VT_JAPAN_UXO = (
    "https://www.vientianetimes.org.la/sub-new/Previous_105_y23/freefreenews/"
    "freecontent_105_JapanUXO_y23.php"
)

# ---------------------------------------------------------------- cleaning, no rules

# Each row: spellings of one URL, then the one canonical form they all reach.
EQUIVALENT: list[tuple[list[str], str]] = [
    (  # tracking parameters and a fragment (ENGINEERING.md §4's MOFA example)
        [
            "https://www.mofa.go.jp/press/release/pressite_000001_01234.html"
            "?utm_source=twitter&utm_medium=social#top",
            "https://www.mofa.go.jp/press/release/pressite_000001_01234.html?utm_campaign=x",
            "https://www.mofa.go.jp/press/release/pressite_000001_01234.html#section-2",
        ],
        "https://www.mofa.go.jp/press/release/pressite_000001_01234.html",
    ),
    (  # fbclid / gclid, and query order
        [
            "https://example.la/news?b=2&a=1&fbclid=XYZ&gclid=1",
            "https://example.la/news?a=1&b=2",
            "https://example.la/news?gclid=9&a=1&b=2&utm_term=laos",
        ],
        "https://example.la/news?a=1&b=2",
    ),
    (  # default ports, scheme and host case
        [
            "HTTPS://WWW.MOFA.GO.JP:443/press/release/index.html",
            "https://www.mofa.go.jp/press/release/index.html",
            "https://Www.Mofa.Go.Jp/press/release/index.html#latest",
        ],
        "https://www.mofa.go.jp/press/release/index.html",
    ),
    (
        ["http://Example.LA:80/a", "http://example.la/a"],
        "http://example.la/a",
    ),
    (  # a Lao path, raw or percent-encoded in either case
        [
            "https://example.la/ຂ່າວ/ວຽງຈັນ?ref=home",
            "https://example.la/%E0%BA%82%E0%BB%88%E0%BA%B2%E0%BA%A7/"
            "%E0%BA%A7%E0%BA%BD%E0%BA%87%E0%BA%88%E0%BA%B1%E0%BA%99",
            "https://example.la/%e0%ba%82%e0%bb%88%e0%ba%b2%e0%ba%a7/"
            "%e0%ba%a7%e0%ba%bd%e0%ba%87%e0%ba%88%e0%ba%b1%e0%ba%99#top",
        ],
        "https://example.la/%E0%BA%82%E0%BB%88%E0%BA%B2%E0%BA%A7/"
        "%E0%BA%A7%E0%BA%BD%E0%BA%87%E0%BA%88%E0%BA%B1%E0%BA%99",
    ),
]


@pytest.mark.parametrize(("variants", "expected"), EQUIVALENT)
def test_spellings_of_one_url_reach_one_canonical_url(variants: list[str], expected: str) -> None:
    assert {canonical_url(v) for v in variants} == {expected}
    assert {canonical(v) for v in variants} == {expected}  # rules change none of these


def test_what_cleaning_keeps() -> None:
    assert canonical_url("https://example.la:8443/a") == "https://example.la:8443/a"
    assert canonical_url("https://example.la/a?page=2") == "https://example.la/a?page=2"
    assert canonical_url("http://example.la/a") != canonical_url("https://example.la/a")
    # Path case is the site's business: without KPL's rule its two spellings stay apart.
    assert canonical_url("https://kpl.gov.la/en/detail.aspx?id=1") != canonical_url(
        "https://kpl.gov.la/En/Detail.aspx?id=1"
    )


# ---------------------------------------------------------------- KPL

KPL_VARIANTS = [
    KPL_88879,
    "https://kpl.gov.la/en/detail.aspx?id=88879",
    "https://kpl.gov.la/EN/Detail.aspx?id=88879",
    "http://kpl.gov.la/En/detail.aspx?id=88879",
    "https://www.kpl.gov.la/En/Detail.aspx?id=88879",
    "HTTPS://KPL.GOV.LA:443/En/Detail.aspx?ID=88879",
    "https://kpl.gov.la/En/Detail.aspx?id=088879",
    "https://kpl.gov.la/en/detail.aspx?id=88879&utm_source=home#top",
    "https://kpl.gov.la/En/Detail.aspx?cat=13&id=88879&page=2",
    "https://kpl.gov.la/En/Detail.aspx?id=88879&fbclid=IwAR0x&gclid=1",
    " https://kpl.gov.la/En/Detail.aspx?id=88879\n",
]


def test_kpl_case_and_parameter_variants_are_one_article() -> None:
    assert {canonical(u) for u in KPL_VARIANTS} == {KPL_88879}
    assert {canonical_url(u, RULES) for u in KPL_VARIANTS} == {KPL_88879}


def test_kpl_fixture_alias_routes_reach_the_stored_url() -> None:
    expected = yaml.safe_load(
        (REPO / "kizuna/demo_sites/kpl/expected.yaml").read_text(encoding="utf-8")
    )
    aliased = [item for item in expected["items"] if item.get("alias_routes")]
    assert aliased
    for item in aliased:
        for route in [item["route"], *item["alias_routes"]]:
            assert canonical("https://kpl.gov.la" + route) == item["url"]


def test_kpl_english_and_lao_editions_stay_apart() -> None:
    lao = {
        canonical(u)
        for u in (
            "https://kpl.gov.la/detail.aspx?id=88879",
            "https://kpl.gov.la/Detail.aspx?ID=88879&utm_source=fb",
            "http://www.kpl.gov.la/detail.aspx?id=88879",
        )
    }
    assert lao == {"https://kpl.gov.la/detail.aspx?id=88879"}
    assert KPL_88879 not in lao
    assert canonical("https://kpl.gov.la/En/Detail.aspx?id=88880") != KPL_88879
    # Not an article (no id): cleaned, never rewritten.
    assert (
        canonical("https://kpl.gov.la/En/News.aspx?page=2&cat=13&utm_source=x")
        == "https://kpl.gov.la/En/News.aspx?cat=13&page=2"
    )


# ---------------------------------------------------------------- Vientiane Times

VT_ONE_ARTICLE = [
    # while the issue is current ...
    "https://www.vientianetimes.org.la/freefreenews/freecontent_105_JapanUXO_y23.php",
    "http://vientianetimes.org.la/freefreenews/freecontent_105_JapanUXO_y23.php?fbclid=IwAR",
    # ... and once it is archived (SOURCES.md §14)
    VT_JAPAN_UXO,
    "http://www.vientianetimes.org.la/sub-new/Previous_105_y23/freefreenews/"
    "freecontent_105_JapanUXO_y23.php",
    "https://vientianetimes.org.la/sub-new/Previous_105_y23/freefreenews/"
    "freecontent_105_JapanUXO_y23.php#comments",
]


def test_vientiane_times_live_and_archived_addresses_are_one_article() -> None:
    assert {canonical(u) for u in VT_ONE_ARTICLE} == {VT_JAPAN_UXO}


@pytest.mark.parametrize(
    ("live", "archived"),
    [  # SOURCES.md §14's examples, each with its other address
        (
            "https://vientianetimes.org.la/freefreenews/freecontent_170_Laos_bolsters_y24.php",
            "https://www.vientianetimes.org.la/sub-new/Previous_170_y24/freefreenews/"
            "freecontent_170_Laos_bolsters_y24.php",
        ),
        (
            "https://www.vientianetimes.org.la/freefreenews/freecontent_120_Japan_y25.php",
            "http://www.vientianetimes.org.la/sub-new/Previous_120_y25/freefreenews/"
            "freecontent_120_Japan_y25.php",
        ),
    ],
)
def test_vientiane_times_examples(live: str, archived: str) -> None:
    assert canonical(live) == canonical(archived)
    assert "/sub-new/Previous_" in canonical(live)


def test_vientiane_times_issue_year_and_slug_each_matter() -> None:
    base = "https://www.vientianetimes.org.la/freefreenews/freecontent_{}.php"
    urls = ["120_Japan_y25", "142_Japan_y24", "142_Japan_y25", "120_Japan_aid_y25"]
    assert len({canonical(base.format(u)) for u in urls}) == len(urls)
    # Pages that are not articles are only cleaned.
    index = "http://www.vientianetimes.org.la/sub-new/Previous_036/index.html"
    assert canonical(index) == index


def test_canonical_urls_are_idempotent() -> None:
    corpus = [u for variants, _ in EQUIVALENT for u in variants]
    corpus += KPL_VARIANTS + VT_ONE_ARTICLE + ["https://kpl.gov.la/Detail.aspx?ID=5"]
    for url in corpus:
        once = canonical(url)
        assert canonical(once) == once, url
        assert canonical_url(canonical_url(url)) == canonical_url(url), url


# ---------------------------------------------------------------- the rules themselves


def test_first_matching_rule_wins_and_missing_groups_fill_in_empty() -> None:
    rules = [
        IdentityRule(pattern=r"^https://a\.la/(?P<x>\d+)(?P<tail>/more)?$", url="https://a.la/{x}"),
        IdentityRule(pattern=r"^https://a\.la/", url="https://a.la/other"),
        IdentityRule(
            pattern=r"^https://b\.la/p(?P<n>\d+)(?P<ed>-en)?$", url="https://b.la/{n}{ed}"
        ),
    ]
    c = UrlCanonicalizer(rules)
    assert c("https://a.la/7/more") == "https://a.la/7"
    assert c("https://a.la/x") == "https://a.la/other"
    assert c("https://b.la/p3") == "https://b.la/3"
    assert c("https://b.la/p3-en") == "https://b.la/3-en"
    assert c("https://c.la/p3?utm_source=x") == clean_url("https://c.la/p3") == "https://c.la/p3"


def test_every_source_contributes_rules_enabled_or_not(tmp_path: Path) -> None:
    data = yaml.safe_load((REPO / "config/sources.yaml").read_text(encoding="utf-8"))
    for entry in data["sources"]:
        if entry["key"] == "vientiane-times":
            entry["enabled"] = False  # a paused source's URLs still mean the same documents
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    sources = {s.key: s for s in load_sources(tmp_path)}
    assert not sources["vientiane-times"].enabled and sources["vientiane-times"].identity
    assert [rule for s in sources.values() for rule in s.identity] == RULES
    assert load_identity_rules(tmp_path) == RULES


def _sources_with_rule(tmp_path: Path, pattern: str, url: str) -> Path:
    entry = {
        "key": "kpl-en",
        "name": "KPL",
        "kind": "agency",
        "pages": "kpl",
        "entries": [{"type": "listing", "url": "https://kpl.gov.la/En/News.aspx?cat=13"}],
        "article_patterns": [r"^https://kpl\.gov\.la/"],
        "identity": [
            {"pattern": r"^https://kpl\.gov\.la/x/(?P<id>\d+)$", "url": "https://kpl.gov.la/{id}"},
            {"pattern": pattern, "url": url},
        ],
    }
    (tmp_path / "sources.yaml").write_text(
        yaml.safe_dump({"sources": [entry]}, allow_unicode=True), encoding="utf-8"
    )
    return tmp_path


@pytest.mark.parametrize(
    ("pattern", "url", "field", "says"),
    [
        (r"^https://kpl\.gov\.la/(?P<id>\d+", "https://kpl.gov.la/{id}", "pattern", "bad regular"),
        (r"^https://kpl\.gov\.la/(?P<id>\d+)$", "https://kpl.gov.la/{article}", "url", "{article}"),
        (r"^https://kpl\.gov\.la/(\d+)$", "https://kpl.gov.la/{0}", "url", "only {group}"),
        (r"^https://kpl\.gov\.la/(?P<id>\d+)$", "https://kpl.gov.la/{id!r}", "url", "only {group}"),
        (r"^https://kpl\.gov\.la/(?P<id>\d+)$", "https://kpl.gov.la/{id", "url", "bad template"),
        (r"^https://kpl\.gov\.la/(?P<id>\d+)$", "kpl.gov.la/{id}", "url", "absolute"),
    ],
)
def test_bad_identity_rule_is_one_config_error_line(
    tmp_path: Path, pattern: str, url: str, field: str, says: str
) -> None:
    config = _sources_with_rule(tmp_path, pattern, url)
    with pytest.raises(ConfigError) as caught:
        load_identity_rules(config)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{config / 'sources.yaml'}: sources[kpl-en].identity[1].{field}: ")
    assert says in message


def test_a_missing_group_names_the_groups_there_are(tmp_path: Path) -> None:
    config = _sources_with_rule(tmp_path, r"^https://k/(?P<id>\d+)/(?P<ed>\w+)$", "https://k/{x}")
    with pytest.raises(ConfigError, match=r"\{x\} is not a named group .*groups: id, ed"):
        load_identity_rules(config)


# ---------------------------------------------------------------- request fingerprints


@pytest.fixture(scope="module")
def fingerprinter() -> CanonicalRequestFingerprinter:
    """Built the way Scrapy builds it, from the settings a real crawl gets."""
    crawler = Crawler(scrapy.Spider, scrapy_settings(load_settings(config_dir=REPO / "config")))
    built = build_from_crawler(
        load_object(crawler.settings["REQUEST_FINGERPRINTER_CLASS"]), crawler
    )
    assert isinstance(built, CanonicalRequestFingerprinter)
    return built


def fp(f: CanonicalRequestFingerprinter, url: str, **kwargs: Any) -> bytes:
    return f.fingerprint(scrapy.Request(url, **kwargs))


def test_variants_of_one_page_share_a_fingerprint(
    fingerprinter: CanonicalRequestFingerprinter,
) -> None:
    for group in (KPL_VARIANTS, VT_ONE_ARTICLE, *(v for v, _ in EQUIVALENT)):
        assert len({fp(fingerprinter, u.strip()) for u in group}) == 1, group


def test_different_pages_methods_and_bodies_differ(
    fingerprinter: CanonicalRequestFingerprinter,
) -> None:
    prints = [
        fp(fingerprinter, KPL_88879),
        fp(fingerprinter, "https://kpl.gov.la/En/Detail.aspx?id=88880"),
        fp(fingerprinter, "https://kpl.gov.la/detail.aspx?id=88879"),  # Lao edition
        fp(
            fingerprinter,
            "https://www.vientianetimes.org.la/freefreenews/freecontent_142_Japan_y24.php",
        ),
        fp(
            fingerprinter,
            "https://www.vientianetimes.org.la/freefreenews/freecontent_120_Japan_y25.php",
        ),
        fp(fingerprinter, KPL_88879, method="POST"),
        fp(fingerprinter, KPL_88879, method="POST", body=b"page=2"),
        fp(fingerprinter, KPL_88879, method="POST", body=b"page=3"),
    ]
    assert len(set(prints)) == len(prints)
    assert fp(fingerprinter, KPL_88879, method="POST", body=b"page=2") == fp(
        fingerprinter, "https://kpl.gov.la/en/detail.aspx?id=88879", method="POST", body=b"page=2"
    )


def test_same_hash_as_scrapys_default_on_the_canonical_url(
    fingerprinter: CanonicalRequestFingerprinter,
) -> None:
    default = RequestFingerprinter()
    variant = "https://kpl.gov.la/en/detail.aspx?id=88879&utm_source=home"
    assert fp(fingerprinter, variant) == default.fingerprint(scrapy.Request(KPL_88879))
    assert default.fingerprint(scrapy.Request(variant)) != default.fingerprint(
        scrapy.Request(KPL_88879)
    )
    # Like the default, headers are not part of it; `verbatim_url` opts out of ours too.
    assert fp(fingerprinter, KPL_88879, headers={"Cache-Control": "max-age=0"}) == fp(
        fingerprinter, KPL_88879
    )
    verbatim = scrapy.Request(variant, meta={"verbatim_url": True})
    assert fingerprinter.fingerprint(verbatim) == default.fingerprint(verbatim)


def test_rules_may_come_as_json_and_bad_ones_are_one_line() -> None:
    rules = json.dumps([r.model_dump() for r in RULES])
    f = CanonicalRequestFingerprinter.from_crawler(
        Crawler(scrapy.Spider, {IDENTITY_RULES_SETTING: rules})
    )
    assert fp(f, "https://kpl.gov.la/en/detail.aspx?id=88879") == fp(f, KPL_88879)
    bad = {IDENTITY_RULES_SETTING: [{"pattern": "(?P<id>", "url": "https://k/{id}"}]}
    with pytest.raises(ConfigError, match=r"^KIZUNA_IDENTITY_RULES\[0\]\.pattern: bad regular"):
        CanonicalRequestFingerprinter.from_crawler(Crawler(scrapy.Spider, bad))


# ---------------------------------------------------------------- a real crawl


class FollowLinksSpider(scrapy.Spider):
    """Follows the KPL fixture's listing and article links exactly as written, with no page
    object to tidy them: only the request fingerprinter can see that two spellings are one
    page. Runs in a child process (`_crawl_in_this_process`), since a reactor cannot restart."""

    name = "follow-links"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request("https://kpl.gov.la/En/News.aspx?cat=13")

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        for href in response.css("a::attr(href)").getall():
            if "detail.aspx" in href.lower() or href.startswith("News.aspx?cat=13"):
                yield response.follow(href)


def _crawl_in_this_process(fingerprinter_class: str | None) -> None:
    """Child-process entry: crawl with Kizuna's Scrapy settings (mirrors and offline mode
    from KIZUNA_* variables), print the crawl's stats as JSON."""
    from scrapy.crawler import CrawlerProcess

    conf = scrapy_settings(load_settings())
    conf.update({"ITEM_PIPELINES": {}, "LOG_ENABLED": False})
    if fingerprinter_class:
        conf["REQUEST_FINGERPRINTER_CLASS"] = fingerprinter_class
    process = CrawlerProcess(conf)
    crawler = process.create_crawler(FollowLinksSpider)
    process.crawl(crawler)
    process.start()
    assert crawler.stats is not None
    print(json.dumps(crawler.stats.get_stats(), default=str))


def _crawl(kenv: Env, server: Any, fingerprinter_class: str | None = None) -> dict[str, Any]:
    code = (
        f"import sys; sys.path.insert(0, {str(TESTS)!r}); import test_urls; "
        f"test_urls._crawl_in_this_process({fingerprinter_class!r})"
    )
    env = {**os.environ, **kenv.vars, "KIZUNA_MIRRORS": mirrors_for(server), "KIZUNA_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=kenv.cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    stats: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert stats["finish_reason"] == "finished"
    return stats


def _article_requests(log: list[str]) -> Counter[str]:
    """Article id -> how many times the fixture server was asked for it (any spelling)."""
    return Counter(
        parse_qs(urlsplit(path).query)["id"][0]
        for path in log
        if "detail.aspx" in urlsplit(path).path.lower()
    )


def test_crawl_fetches_an_article_linked_under_two_spellings_once(kenv: Env, kpl_site) -> None:
    # The listing links id=88879 as Detail.aspx?id=88879 (page 1) and as
    # detail.aspx?id=88879&utm_source=home (page 2).
    listed = kpl_site.site.requests
    stats = _crawl(kenv, kpl_site)
    fetched = _article_requests(listed)
    assert len(fetched) == 12 and set(fetched.values()) == {1}, fetched
    assert not any("utm_source" in path for path in listed)
    assert stats["dupefilter/filtered"] > 0

    # The same crawl with Scrapy's default fingerprinter fetches that article twice.
    listed.clear()
    default = _crawl(kenv, kpl_site, "scrapy.utils.request.RequestFingerprinter")
    fetched = _article_requests(listed)
    assert fetched["88879"] == 2 and any("utm_source=home" in path for path in listed)
    assert default["response_received_count"] == stats["response_received_count"] + 1

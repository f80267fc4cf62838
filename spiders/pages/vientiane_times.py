"""Page objects for the Vientiane Times (www.vientianetimes.org.la).

Structure as recorded in the design's SOURCES.md §14: the home page is the current issue
(its date, then "Top stories" with "More >>>" links to
`/freefreenews/freecontent_{issue}_{Slug}_y{yy}.php`); each past issue has an index page
`/sub-new/Previous_{issue}_y{yy}/index.html` that carries that issue's date and links its
articles under `/sub-new/Previous_{issue}_y{yy}/freefreenews/`. Article pages print **no
date**: the listing puts the issue date into each `Link.published`, and the article page
takes it from there. An article fetched without that hint gets no date (`published_at`
None) rather than an error: its text is still worth storing, and the URL only says the
issue number and the year, not the day.

Pagination: the home page and every issue index link earlier issues' index pages, so
`next_page` walks back one issue at a time (the highest-numbered index below the page's own
issue), bounded by the source's `max_pages`. Issue numbers change every day, so they cannot
be listed in sources.yaml.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin

from parsel import Selector

from config.registry import Source
from spiders.dates import parse_date
from spiders.items import ArticleItem
from spiders.pages.base import (
    ArticleBase,
    ExtractionError,
    Link,
    PageSet,
    clean,
    paragraphs_text,
    tz_of,
)

__all__ = ["PAGES", "VtArticlePage", "VtListingPage", "issue_of"]

# freecontent_{issue}_{Slug}_y{yy}.php, current or archived path.
_ARTICLE = re.compile(r"/freefreenews/freecontent_(\d+)_\w+?_y(\d{2})\.php$")
_INDEX = re.compile(r"/sub-new/Previous_(\d+)_y(\d{2})/(?:index\.(?:html?|php))?$")
_ISSUE_NO = re.compile(r"\bIssue\s*(?:No\.?\s*)?(\d+)\b", re.I)
_DATE_CSS = (".issue-date", "#issue-date", "td.date", ".date")
_MORE = re.compile(r"^(?:read\s+)?more\b|^>+$", re.I)
_BLOCKS = ("div.news-detail", "td.main", "div#content")
_HEADLINES = ("h1", ".news-title")
_SKIP_CLASSES = ("author", "byline", "back", "share", "photo-caption")

Issue = tuple[int, int]  # (two-digit year, issue number): ordered like issues are


def issue_of(url: str) -> Issue | None:
    """(yy, issue) of an article URL or an issue index URL."""
    m = _ARTICLE.search(url) or _INDEX.search(url)
    return (int(m[2]), int(m[1])) if m else None


class VtListingPage:
    """The home page (current issue) or an issue index: article links, each dated with
    its issue's date when the page states it."""

    def __init__(self, url: str, html: str, source: Source) -> None:
        self.url = url
        self.source = source
        self._sel = Selector(text=html)
        self._patterns = [re.compile(p) for p in source.article_patterns]

    def _anchors(self) -> list[tuple[str, str]]:
        return [
            (
                urljoin(self.url, a.attrib["href"].strip()).split("#", 1)[0],
                clean(" ".join(a.css("::text").getall())),
            )
            for a in self._sel.css("a[href]")
        ]

    def own_issue(self) -> Issue | None:
        """The issue this page is: from its URL (an index); on the home page, the "Issue N"
        line with the year of its article links, else the latest issue they carry."""
        if _INDEX.search(self.url):
            return issue_of(self.url)
        linked = [i for u, _ in self._anchors() if _ARTICLE.search(u) and (i := issue_of(u))]
        if not linked:
            return None
        header = " ".join(self._sel.css("#header ::text, .issue-no ::text").getall())
        m = _ISSUE_NO.search(header)
        return (max(linked)[0], int(m[1])) if m else max(linked)

    def _date_line(self) -> datetime | None:
        tz = tz_of(self.source)
        for css in _DATE_CSS:
            for node in self._sel.css(css):
                when = parse_date(" ".join(node.css("::text").getall()), tz)
                if when:
                    return when
        return None

    def issue_dates(self) -> dict[Issue, datetime]:
        """The dates this page states, by issue: its own (the date line at the top) and
        those of the earlier issues it links ("Thursday November 19, 2026" on the link)."""
        tz = tz_of(self.source)
        dates: dict[Issue, datetime] = {}
        own, line = self.own_issue(), self._date_line()
        if own and line:
            dates[own] = line
        for url, text in self._anchors():
            issue = issue_of(url) if _INDEX.search(url) else None
            when = parse_date(text, tz) if issue else None
            if issue and when:
                dates.setdefault(issue, when)
        return dates

    def links(self) -> list[Link]:
        dates = self.issue_dates()
        titles: dict[str, str | None] = {}
        for url, text in self._anchors():
            if not any(p.search(url) for p in self._patterns):
                continue
            if url not in titles or (titles[url] is None and text and not _MORE.match(text)):
                titles[url] = text if text and not _MORE.match(text) else None
        out: list[Link] = []
        for url, title in titles.items():
            issue = issue_of(url)
            out.append(Link(url=url, title=title, published=dates.get(issue) if issue else None))
        return out

    def next_page(self) -> str | None:
        """The index of the latest issue before this page's own."""
        own = self.own_issue()
        best: tuple[Issue, str] | None = None
        for url, _ in self._anchors():
            if not _INDEX.search(url):
                continue
            issue = issue_of(url)
            if issue is None or (own is not None and issue >= own):
                continue
            if best is None or issue > best[0]:
                best = (issue, url)
        return best[1] if best else None


class VtArticlePage(ArticleBase):
    def to_item(self) -> ArticleItem:
        sel = Selector(text=self.html)
        found = next(
            (
                (block, head)
                for css in _BLOCKS
                for block in sel.css(css)
                for hcss in _HEADLINES
                for head in block.css(hcss)[:1]
                if clean(" ".join(head.css("::text").getall()))
            ),
            None,
        )
        if found is None:
            raise ExtractionError("no article block with a headline (div.news-detail/td.main)")
        block, head = found
        title = clean(" ".join(head.css("::text").getall()))
        skip = " or ".join(
            f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')" for c in _SKIP_CLASSES
        )
        paragraphs = [
            clean(" ".join(p.css("::text").getall()))
            for p in block.xpath(f".//p[not({skip})][not(ancestor::*[{skip}])]")
        ]
        text = paragraphs_text([p for p in paragraphs if p != title])
        if not text:
            raise ExtractionError("article has no body text")
        published = self.hint.published if self.hint else None  # the page has no date
        return ArticleItem(
            url=self.url,
            title=title,
            text=text,
            published_at=published.isoformat() if published else None,
            lang=None,  # English newspaper; detected at ingest
            source=self.source.key,
            alternate_urls=list(self.hint.alternate_urls) if self.hint else [],
        )


PAGES = PageSet(listing=VtListingPage, article=VtArticlePage)

"""Page objects for JICA's English site (www.jica.go.jp): the HQ press releases
(`jica-en`) and the JICA Laos Office pages (`jica-laos`), which share one CMS.

Structure as recorded in the design's SOURCES.md §2 (the markup itself is unverified):
every page starts with a global nav (日本語 / English / Français / Espanol, then Home, About
JICA, News & Features, …) before the content, so the body comes from the article block
only; `<title>` ends with a suffix such as " ｜ News＆Publication - JICA" (stripped when the
headline has to come from it). Press release URLs carry the date (`YYYYMMDD_NN.html`);
pages also print a `Month D, YYYY` date line. Listings (the yearly press index, the office's
"What's New") print `Month D, YYYY` before each title.

Dates: the page's own date line wins, then the date spelled in the URL, then the listing's
date (the hint). A page with none of the three gets no date (`published_at` None), it is
not an error: the office's topic pages rely on the listing for theirs.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from parsel import Selector

from config.registry import Source
from spiders.dates import date_from_url, parse_date
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

__all__ = ["PAGES", "JicaArticlePage", "JicaListingPage", "strip_title_suffix"]

# " ｜ News＆Publication - JICA", " ｜ Laos ｜ Countries & Regions - JICA", " - JICA".
_TITLE_SUFFIX = re.compile(r"(?:\s+[｜|]\s.*?)?\s+[-－–]\s*JICA\s*$")
# The yearly press index: /english/information/press/2026/index.html.
_YEAR_INDEX = re.compile(r"/information/press/(\d{4})/index\.html?$")
# Article block: the first of these that holds a headline.
_BLOCKS = ("article.p-article", "div.p-article", "main#main", "main", "div#contents")
_BODIES = (".p-article__body", ".p-article-body", ".c-article-body")
_DATE_LINES = (".p-article__date", ".c-date", "p.date", "time")
# Body elements, in document order, never inside page furniture.
_BODY_XPATH = (
    ".//*[self::p or self::li or self::h2 or self::h3 or self::h4]"
    "[not(ancestor::figure) and not(ancestor::nav) and not(ancestor::aside)"
    " and not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' p-share ')])"
    " and not(ancestor::li) and not(ancestor::p)]"
)


def strip_title_suffix(title: str | None) -> str:
    """A `<title>` without the site's suffix (" ｜ News＆Publication - JICA")."""
    return clean(_TITLE_SUFFIX.sub("", clean(title)))


class JicaListingPage:
    """The yearly press index or an office's "What's New": links matching the source's
    `article_patterns`, each with the `Month D, YYYY` printed in its list item."""

    def __init__(self, url: str, html: str, source: Source) -> None:
        self.url = url
        self.source = source
        self._sel = Selector(text=html)
        self._patterns = [re.compile(p) for p in source.article_patterns]

    def links(self) -> list[Link]:
        tz = tz_of(self.source)
        seen: set[str] = set()
        out: list[Link] = []
        for a in self._sel.css("a[href]"):
            url = urljoin(self.url, a.attrib["href"].strip()).split("#", 1)[0]
            if url in seen or not any(p.search(url) for p in self._patterns):
                continue
            seen.add(url)
            # The list item the link sits in (never a wider block: its first date could be
            # another item's).
            item = a.xpath("ancestor::*[self::li or self::tr or self::dd or self::p][1]")
            context = " ".join(item.css("::text").getall()) if item else ""
            if item and item[0].root.tag == "dd":  # <dt>date</dt><dd><a>title</a></dd>
                context = " ".join(item.xpath("preceding-sibling::dt[1]//text()").getall())
            out.append(
                Link(
                    url=url,
                    title=clean(" ".join(a.css("::text").getall())) or None,
                    published=parse_date(context, tz) or date_from_url(url, tz),
                )
            )
        return out

    def next_page(self) -> str | None:
        """On a yearly press index, the previous year's index (the year tabs link it);
        anything else (the office's top page) has no further page."""
        own = _YEAR_INDEX.search(self.url)
        if own is None:
            return None
        best: tuple[int, str] | None = None
        for href in self._sel.css("a[href]::attr(href)").getall():
            url = urljoin(self.url, href.strip())
            m = _YEAR_INDEX.search(url)
            if m and int(m[1]) < int(own[1]) and (best is None or int(m[1]) > best[0]):
                best = (int(m[1]), url)
        return best[1] if best else None


class JicaArticlePage(ArticleBase):
    def to_item(self) -> ArticleItem:
        sel = Selector(text=self.html)
        # The first block with a headline or an article body; nav and footer lie outside.
        block = next(
            (
                b
                for css in _BLOCKS
                for b in sel.css(css)
                if b.css("h1") or any(b.css(body) for body in _BODIES)
            ),
            None,
        )
        if block is None:
            raise ExtractionError("no article block (article.p-article/main) on the page")
        title = clean(" ".join(block.css("h1 ::text").getall())) or strip_title_suffix(
            sel.css("title::text").get()
        )
        if not title:
            raise ExtractionError("no headline (h1 or <title>)")

        tz = tz_of(self.source)
        date_line = next(
            (
                " ".join(node.css("::text").getall()) or node.attrib.get("datetime", "")
                for css in _DATE_LINES
                for node in block.css(css)
            ),
            "",
        )
        published = (
            parse_date(date_line, tz)
            or date_from_url(self.url, tz)
            or (self.hint.published if self.hint else None)
        )

        body = next((b for css in _BODIES for b in block.css(css)), block)
        captions = {clean(" ".join(c.css("::text").getall())) for c in block.css("figcaption")}
        date_text = clean(date_line)
        paragraphs = [
            text
            for node in body.xpath(_BODY_XPATH)
            if (text := clean(" ".join(node.css("::text").getall())))
            and text not in captions
            and text != title
            and text != date_text
        ]
        text = paragraphs_text(paragraphs)
        if not text:
            raise ExtractionError("article has no body text")
        return ArticleItem(
            url=self.url,
            title=title,
            text=text,
            published_at=published.isoformat() if published else None,
            lang=None,  # English pages; detected at ingest
            source=self.source.key,
            alternate_urls=list(self.hint.alternate_urls) if self.hint else [],
        )


PAGES = PageSet(listing=JicaListingPage, article=JicaArticlePage)

"""Page objects for MOFA Japan (www.mofa.go.jp), English and Japanese.

Structure as recorded in the design's SOURCES.md §1: everything sits in `#maincontents`;
the headline is its `h1`, often with a section label before or inside it ("Japan-Laos
Relations", "Press Releases", "報道発表", "ラオス人民民主共和国"), then a date line
(`July 10, 2025`, or the era form `令和7年7月10日`), then the body in `div.text` blocks.
The Japanese press index (`#pressrelease`) prints `M月D日` in a `dt` before each `dd` of
links, the year only in the month heading above; the country pages and the English index
print full dates. Japanese pages live under /mofaj/ and are in Japanese.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from parsel import Selector

from spiders.items import ArticleItem
from spiders.pages.base import ArticleBase, ExtractionError, Link, ListingBase, PageSet, tz_of
from spiders.pages.gojp import (
    block_paragraphs,
    date_line,
    headline,
    listing_links,
    next_link,
)

__all__ = ["PAGES", "ExtractionError", "MofaArticlePage", "MofaListingPage"]

# Child elements of the h1 that hold the section label, not the headline.
_LABEL_CLASS = re.compile(r"label|title-sub|category|section")
# A label left in the headline text itself, separated from the title by space or a bar.
_LABEL_TEXT = re.compile(
    r"^(?:Japan-Laos Relations|Press Releases?|報道発表|ラオス人民民主共和国)"
    r"(?:\s*[|｜:：/]\s*|\s+)"
)
_TITLE_SUFFIX = re.compile(r"\s*[|｜]\s*(?:Ministry of Foreign Affairs of Japan|外務省)\s*$")
_DATE_LINE = (".rightalign", "p.date", ".date")


class MofaListingPage(ListingBase):
    """The country pages (EN /region/asia-paci/laos/, JA /mofaj/area/laos/) and the press
    release indexes: links matching the source's patterns, with the date beside each."""

    def links(self) -> list[Link]:
        return listing_links(self._sel, self.url, self.source, within="#maincontents")

    def next_page(self) -> str | None:
        # The indexes roll (older releases move to monthly archives); no pagination.
        return next_link(self._sel, self.url)


class MofaArticlePage(ArticleBase):
    def to_item(self) -> ArticleItem:
        sel = Selector(text=self.html)
        main = next(iter(sel.css("#maincontents")), None)
        if main is None:
            raise ExtractionError("no #maincontents (layout changed, or a block page)")
        h1 = next(iter(main.css("h1")), None)
        if h1 is None:
            raise ExtractionError("no headline (h1) in #maincontents")
        title = _LABEL_TEXT.sub("", headline(h1, _LABEL_CLASS)).strip()
        if not title:
            og = sel.css("meta[property='og:title']::attr(content)").get() or ""
            title = _TITLE_SUFFIX.sub("", _LABEL_TEXT.sub("", og.strip())).strip()
        if not title:
            raise ExtractionError("empty headline")
        paragraphs: list[str] = []
        for block in main.css("div.text"):
            for p in block_paragraphs(block, skip={title}):
                if p not in paragraphs:
                    paragraphs.append(p)
        if not paragraphs:
            raise ExtractionError("no body text (div.text) in #maincontents")
        published = date_line(main, tz_of(self.source), _DATE_LINE, before="text") or (
            self.hint.published if self.hint else None
        )
        japanese = urlsplit(self.url).path.startswith("/mofaj/")
        return ArticleItem(
            url=self.url,
            title=title,
            text="\n\n".join(paragraphs),
            published_at=published.isoformat() if published else None,
            lang="ja" if japanese else None,
            source=self.source.key,
        )


PAGES = PageSet(listing=MofaListingPage, article=MofaArticlePage)

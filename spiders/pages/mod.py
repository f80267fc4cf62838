"""Page objects for the Japan Ministry of Defense (www.mod.go.jp), English and Japanese.

Structure as recorded in the design's SOURCES.md §13: English articles at
/en/article/YYYY/MM/<40 hex>.html with the headline, a "(Press Release)" category line
and a date line (`June 23, 2021`), then the body; Japanese news at
/j/press/news/YYYY/MM/DDa.html with the headline, an era date line (令和7年11月1日) and the
body in `div.text`. The list pages print a date beside each link. A Japanese page without
a date line still has its date in the URL.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from parsel import Selector

from spiders.dates import date_from_url
from spiders.items import ArticleItem
from spiders.pages.base import ArticleBase, ExtractionError, Link, ListingBase, PageSet, tz_of
from spiders.pages.gojp import (
    block_paragraphs,
    date_line,
    first,
    headline,
    listing_links,
    next_link,
)

__all__ = ["PAGES", "ExtractionError", "ModArticlePage", "ModListingPage"]

_CONTAINERS = ("article", "#main", "main", "#contents")
_BODIES = ("article-body", "text", "p-article__body")  # classes of the body `div`
_DATE_LINE = ("p.date", ".p-article__date", "time")
_LABEL_CLASS = re.compile(r"label|category")


class ModListingPage(ListingBase):
    def links(self) -> list[Link]:
        return listing_links(self._sel, self.url, self.source, within="#main")

    def next_page(self) -> str | None:
        return next_link(self._sel, self.url)


class ModArticlePage(ArticleBase):
    def to_item(self) -> ArticleItem:
        sel = Selector(text=self.html)
        main = first(sel, _CONTAINERS, having="h1")
        if main is None:
            raise ExtractionError("no content block with a headline (article/#main)")
        title = headline(main.css("h1")[0], _LABEL_CLASS)
        if not title:
            raise ExtractionError("empty headline")
        found = next(((c, b) for c in _BODIES for b in main.css(f"div.{c}")), None)
        if found is None:
            raise ExtractionError("no body block (div.article-body / div.text)")
        body_class, body = found
        paragraphs = block_paragraphs(body, skip={title})
        if not paragraphs:
            raise ExtractionError("article has no body text")
        tz = tz_of(self.source)
        published = (
            date_line(main, tz, _DATE_LINE, before=body_class)
            or date_from_url(self.url, tz)
            or (self.hint.published if self.hint else None)
        )
        japanese = urlsplit(self.url).path.startswith("/j/")
        return ArticleItem(
            url=self.url,
            title=title,
            text="\n\n".join(paragraphs),
            published_at=published.isoformat() if published else None,
            lang="ja" if japanese else None,
            source=self.source.key,
        )


PAGES = PageSet(listing=ModListingPage, article=ModArticlePage)

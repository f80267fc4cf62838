"""Page objects for the Embassy of Japan in Laos (www.la.emb-japan.go.jp), English and
Japanese.

No archived copy of the embassy's own pages exists (SOURCES.md §12); the structure read here
is that of the embassy CMS other Japanese embassies share: news lists at /itprtop_en/ and
/itprtop_ja/ with a date beside each link and an older-news link, articles at
/itpr_en/NN_NNNNNN_NNNNN.html and /itpr_ja/… in `#main` with an `h1`, a date line
(`January 28, 2026`, `令和8年1月28日` or `2025年8月6日`) and the body in `div.article-body`,
photo captions in `p.caption`. Pages under /itpr_ja/ are in Japanese.
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
    first,
    headline,
    listing_links,
    next_link,
)

__all__ = ["PAGES", "EmbassyArticlePage", "EmbassyListingPage", "ExtractionError"]

_CONTAINERS = ("#main", "#contents", "main", "article")
_BODIES = ("article-body", "text", "body")  # classes of the body `div`
_DATE_LINE = ("p.date", ".rightalign", "time")
_LABEL_CLASS = re.compile(r"label|category")
_BACK = re.compile(r"^(?:Back to (?:News|list|top)|一覧へ戻る|ページトップへ|Print|印刷)$", re.I)


class EmbassyListingPage(ListingBase):
    def links(self) -> list[Link]:
        return listing_links(self._sel, self.url, self.source, within="#main")

    def next_page(self) -> str | None:
        return next_link(self._sel, self.url)


class EmbassyArticlePage(ArticleBase):
    def to_item(self) -> ArticleItem:
        sel = Selector(text=self.html)
        main = first(sel, _CONTAINERS, having="h1")
        if main is None:
            raise ExtractionError("no content block with a headline (#main)")
        title = headline(main.css("h1")[0], _LABEL_CLASS)
        if not title:
            raise ExtractionError("empty headline")
        found = next(((c, b) for c in _BODIES for b in main.css(f"div.{c}")), None)
        if found is None:
            raise ExtractionError("no body block (div.article-body) under the headline")
        body_class, body = found
        paragraphs = [p for p in block_paragraphs(body, skip={title}) if not _BACK.match(p)]
        if not paragraphs:
            raise ExtractionError("article has no body text")
        published = date_line(main, tz_of(self.source), _DATE_LINE, before=body_class) or (
            self.hint.published if self.hint else None
        )
        japanese = urlsplit(self.url).path.startswith("/itpr_ja/")
        return ArticleItem(
            url=self.url,
            title=title,
            text="\n\n".join(paragraphs),
            published_at=published.isoformat() if published else None,
            lang="ja" if japanese else None,
            source=self.source.key,
        )


PAGES = PageSet(listing=EmbassyListingPage, article=EmbassyArticlePage)

"""Page objects for KPL English (kpl.gov.la/En/): listing pages and article pages.

Pure extraction from (url, html): no requests, no database. Structure as recorded in the
design's SOURCES.md §3: UIkit listing `ul.news-story li`, article `h1`, a `DD/MM/YYYY HH:MM`
line in Vientiane time, "Email Print N", the photo caption often repeated as the lead.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from spiders.dates import parse_dmy
from spiders.items import ArticleItem
from spiders.pages.base import (
    ArticleBase,
    ExtractionError,
    Link,
    ListingBase,
    PageSet,
    clean,
    tz_of,
)

_ARTICLE_ID = re.compile(r"(?i)/en/detail\.aspx\?(?:.*&)?id=(\d+)")
_EMAIL_PRINT = re.compile(r"^\s*Email\s+Print\s*\d*\s*$", re.I)

__all__ = ["PAGES", "ExtractionError", "KplArticlePage", "KplListingPage", "article_url"]


def article_url(url: str) -> str | None:
    """The one spelling of a KPL article URL: https://HOST/En/Detail.aspx?id=N.

    KPL's case varies in the wild (/En/Detail.aspx, /en/detail.aspx) and links carry
    tracking parameters; the numeric id is the article's identity.
    """
    m = _ARTICLE_ID.search(url)
    if not m:
        return None
    host = urlsplit(url).netloc.lower()
    return f"https://{host}/En/Detail.aspx?id={int(m.group(1))}"


class KplListingPage(ListingBase):
    def links(self) -> list[Link]:
        """Article links of the listing, in page order, each once (sidebars included)."""
        seen: set[str] = set()
        out: list[Link] = []
        for li in self._sel.css("ul.news-story li"):
            for href in li.css("a::attr(href)").getall():
                canonical = article_url(urljoin(self.url, href))
                if canonical is None or canonical in seen:
                    continue
                seen.add(canonical)
                title = clean(" ".join(li.css("a::text").getall()))
                when = parse_dmy(
                    " ".join(li.css(".uk-text-muted::text").getall()), tz_of(self.source)
                )
                out.append(Link(url=canonical, title=title or None, published=when))
        return out

    def next_page(self) -> str | None:
        href = self._sel.css("a.next::attr(href), a[rel=next]::attr(href)").get()
        return urljoin(self.url, href) if href else None


class KplArticlePage(ArticleBase):
    def to_item(self) -> ArticleItem:
        sel = Selector(text=self.html)
        url = article_url(self.url)
        if url is None:
            raise ExtractionError(f"not a KPL article URL: {self.url}")
        # The article block is the first of these that holds a headline; a page where none
        # does is a layout change (or a block/challenge page), never an article.
        block = next(
            (b for css in ("div.content", "article", "main") for b in sel.css(css) if b.css("h1")),
            None,
        )
        if block is None:
            raise ExtractionError("no article block with a headline (div.content/article/main)")
        title = clean(" ".join(block.css("h1 ::text").getall()))
        if not title:
            raise ExtractionError("empty headline")
        date_text = " ".join(block.css("p.date ::text").getall()) or " ".join(
            block.css("::text").getall()
        )
        published = parse_dmy(date_text, tz_of(self.source)) or (
            self.hint.published if self.hint else None
        )
        captions = {clean(" ".join(c.css("::text").getall())) for c in block.css("figcaption")}
        paragraphs: list[str] = []
        for p in block.css("p:not(.date)"):
            text = clean(" ".join(p.css("::text").getall()))
            if not text or _EMAIL_PRINT.match(text) or text in captions or text in paragraphs:
                continue
            paragraphs.append(text)
        if not paragraphs:
            raise ExtractionError("article has no body text")
        return ArticleItem(
            url=url,
            title=title,
            text="\n\n".join(paragraphs),
            published_at=published.isoformat() if published else None,
            lang="en",
            source=self.source.key,
        )


PAGES = PageSet(listing=KplListingPage, article=KplArticlePage)

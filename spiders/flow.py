"""The crawl's decisions as pure functions, shared by the spider and by the tests that
check each source from its fixture files alone: which URL an entry asks for, what links
an entry page gives, and what item an article (or an API entry) gives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from config.registry import Entry, Source
from spiders.encoding import decode_html
from spiders.entries.feed import feed_links
from spiders.entries.sitemap import read_sitemap
from spiders.entries.wordpress import PER_PAGE, post_links, posts_url
from spiders.items import ArticleItem
from spiders.pages import page_set
from spiders.pages.base import ExtractionError, Link


@dataclass(frozen=True)
class EntryPage:
    """What one entry page gave: article links, and further entry pages to read."""

    links: list[Link]
    more: list[str]  # next listing/API page, or child sitemaps


def entry_url(entry: Entry, *, page: int = 1, since: date | None = None) -> str:
    if entry.type == "wordpress":
        after = f"{since.isoformat()}T00:00:00" if since else None
        return posts_url(entry.url, search=entry.search, page=page, after=after)
    return entry.url


def read_entry(
    entry: Entry, url: str, body: bytes, content_type: str | None, source: Source, *, page: int
) -> EntryPage:
    """Parse one entry page. Raises ValueError (FeedError, ApiError, SitemapError) when the
    body is not what the entry says it is."""
    if entry.type == "feed":
        return EntryPage(feed_links(body, url, content_type), [])
    if entry.type == "wordpress":
        links = post_links(body)
        full = len(links) >= PER_PAGE
        more = [entry_url(entry, page=page + 1)] if full and page < source.max_pages else []
        return EntryPage(links, more)
    if entry.type == "sitemap":
        links, children = read_sitemap(body)
        return EntryPage(links, [u for u, _ in children])
    html, _ = decode_html(body, content_type)
    listing = page_set(source.pages).listing
    assert listing is not None
    pageobj = listing(url, html, source)
    next_url = pageobj.next_page()
    return EntryPage(pageobj.links(), [next_url] if next_url and page < source.max_pages else [])


def item_from_link(link: Link, source: Source) -> ArticleItem:
    """An article whose entry carried its full text (WordPress API)."""
    if not link.text or not link.title:
        raise ExtractionError("entry has no full text")
    return ArticleItem(
        url=link.url,
        title=link.title,
        text=link.text,
        published_at=link.published.isoformat() if link.published else None,
        lang=link.lang,
        source=source.key,
        alternate_urls=list(link.alternate_urls),
    )


def article_item(
    url: str, body: bytes, content_type: str | None, source: Source, hint: Link | None
) -> ArticleItem:
    html, _ = decode_html(body, content_type)
    article = page_set(source.pages).article
    assert article is not None
    return article(url, html, source, hint).to_item()

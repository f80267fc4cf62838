"""RSS 0.9x/1.0/2.0 and Atom through feedparser: one `Link` per entry."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

import feedparser

from spiders.pages.base import Link, clean


class FeedError(ValueError):
    """The body is not a feed (an HTML challenge page, an error page)."""


def _when(entry: feedparser.FeedParserDict) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def feed_links(body: bytes, url: str, content_type: str | None = None) -> list[Link]:
    """Links of a feed; a valid feed with no items gives none, a body that is no feed at all
    (an HTML challenge or error page) raises FeedError."""
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    parsed = feedparser.parse(body, response_headers=headers)
    if not parsed.entries and not parsed.get("version"):
        raise FeedError(f"not a feed ({parsed.get('bozo_exception') or 'no entries'})")
    out: list[Link] = []
    seen: set[str] = set()
    for entry in parsed.entries:
        link = entry.get("link")
        if not link or link in seen:
            continue
        seen.add(link)
        summary = clean(_html_text(entry.get("summary"))) or None
        out.append(
            Link(
                url=link,
                title=clean(_html_text(entry.get("title"))) or None,
                published=_when(entry),
                summary=summary,
            )
        )
    return out


def _html_text(value: str | None) -> str:
    if not value:
        return ""
    from w3lib.html import remove_tags, replace_entities

    return replace_entities(remove_tags(value))

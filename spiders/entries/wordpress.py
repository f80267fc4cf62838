"""The WordPress REST API (`/wp-json/wp/v2/posts`): posts carry their full content, so an
API entry is an article without fetching its page."""

from __future__ import annotations

import json
from datetime import UTC
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import trafilatura

from spiders.dates import parse_date
from spiders.pages.base import Link, clean

PER_PAGE = 20


class ApiError(ValueError):
    """The body is not a WordPress posts list."""


def posts_url(endpoint: str, *, search: str | None, page: int, after: str | None) -> str:
    """The endpoint with the query Kizuna sends (newest first)."""
    parts = urlsplit(endpoint)
    query = dict(parse_qsl(parts.query))
    query.update({"per_page": str(PER_PAGE), "orderby": "date", "order": "desc"})
    if search:
        query["search"] = search
    if after:
        query["after"] = after
    if page > 1:
        query["page"] = str(page)
    return urlunsplit(parts._replace(query=urlencode(sorted(query.items()))))


def post_links(body: bytes) -> list[Link]:
    try:
        posts = json.loads(body)
    except ValueError as exc:
        raise ApiError(f"not JSON ({exc})") from None
    if not isinstance(posts, list):
        raise ApiError("not a list of posts")
    out: list[Link] = []
    for post in posts:
        if not isinstance(post, dict) or not post.get("link"):
            continue
        title = clean(_text((post.get("title") or {}).get("rendered")))
        content = (post.get("content") or {}).get("rendered") or ""
        text = _main_text(content)
        published = (
            parse_date(post.get("date_gmt"), ZoneInfo("UTC")) if post.get("date_gmt") else None
        )
        if published is None and post.get("date"):
            published = parse_date(post["date"], ZoneInfo("UTC"))
        out.append(
            Link(
                url=post["link"],
                title=title or None,
                published=published.astimezone(UTC) if published else None,
                summary=clean(_text((post.get("excerpt") or {}).get("rendered"))) or None,
                text=text or None,
            )
        )
    return out


def _text(html: str | None) -> str:
    if not html:
        return ""
    from w3lib.html import remove_tags, replace_entities

    return replace_entities(remove_tags(html))


def _main_text(content_html: str) -> str:
    """Paragraph text of a post's rendered content."""
    if not content_html.strip():
        return ""
    extracted = trafilatura.extract(
        f"<html><body><article>{content_html}</article></body></html>",
        include_comments=False,
        favor_recall=True,
    )
    return (extracted or clean(_text(content_html))).strip()

"""Sitemaps and sitemap indexes, through Scrapy's own sitemap reader."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from scrapy.utils.sitemap import Sitemap

from spiders.dates import parse_date
from spiders.pages.base import Link


class SitemapError(ValueError):
    pass


def read_sitemap(body: bytes) -> tuple[list[Link], list[tuple[str, datetime | None]]]:
    """(article links of a urlset, child sitemaps of an index with their lastmod)."""
    if body[:2] == b"\x1f\x8b":  # sitemap.xml.gz served as a file, not Content-Encoding
        from scrapy.utils.gz import gunzip

        try:
            body = gunzip(body, max_size=50 * 1024 * 1024)
        except OSError as exc:
            raise SitemapError(f"not a gzipped sitemap ({exc})") from None
    try:
        sitemap = Sitemap(body)
    except Exception as exc:  # lxml raises several kinds on garbage
        raise SitemapError(f"not a sitemap ({exc})") from None
    utc = ZoneInfo("UTC")
    entries = list(sitemap)
    if sitemap.type == "sitemapindex":
        return [], [(e["loc"], parse_date(e.get("lastmod"), utc)) for e in entries if "loc" in e]
    if sitemap.type != "urlset":
        raise SitemapError(f"unknown sitemap type {sitemap.type!r}")
    return [
        Link(url=e["loc"], published=parse_date(e.get("lastmod"), utc))
        for e in entries
        if "loc" in e
    ], []

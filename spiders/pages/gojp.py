"""Helpers shared by the page objects of Japanese government sites (MOFA, the Embassy of
Japan in Laos, the Ministry of Defense): their list pages put a date beside each link
(in the same `li`, or in the `dt` before a `dd`), sometimes only as `M月D日` with the year
in a heading above; their article pages have a headline, a date line and blocks of
paragraphs. Pure functions over parsel selectors.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from parsel import Selector

from config.registry import Source
from spiders.dates import parse_date, parse_month_day, year_in
from spiders.pages.base import Link, clean, tz_of


def text_of(node: Selector | None) -> str:
    """All text under a node, whitespace collapsed ('' for None)."""
    if node is None:
        return ""
    return clean(" ".join(node.xpath(".//text()").getall()))


def page_year(sel: Selector) -> int | None:
    """The year a whole list page is about, from its headline or <title>."""
    for css in ("h1", "title"):
        year = year_in(text_of(sel.css(css)[0]) if sel.css(css) else "")
        if year:
            return year
    return None


def _heading_year(node: Selector, fallback: int | None) -> int | None:
    """The year of the nearest heading before `node` that names one (MOFA's Japanese press
    index groups its `dl` lists under month headings such as 令和7年1月)."""
    for heading in node.xpath(
        "preceding::*[self::h2 or self::h3 or self::h4 or self::caption][position() <= 5]"
    )[::-1]:
        year = year_in(text_of(heading))
        if year:
            return year
    return fallback


def link_date(a: Selector, tz: ZoneInfo, year: int | None) -> datetime | None:
    """The date a list page prints beside a link: in the link's own row (`li`, `dd`, `tr`,
    `p`, `article`, or the row around that), else in the `dt` before its `dd`, read in full
    or as `M月D日` of the year of the heading above (or of the page)."""
    rows = a.xpath("ancestor::*[self::li or self::dd or self::tr or self::p or self::article]")
    for row in rows[::-1][:2]:  # the nearest two: `p.title` inside an `li`, say
        when = parse_date(text_of(row), tz)
        if when:
            return when
    dt = a.xpath("ancestor::dd[1]/preceding-sibling::dt[1]")
    if dt:
        text = text_of(dt[0])
        when = parse_date(text, tz)
        if when:
            return when
        year = _heading_year(dt[0], year)
        if year:
            return parse_month_day(text, year, tz)
    return None


def listing_links(
    sel: Selector, page_url: str, source: Source, *, within: str | None = None
) -> list[Link]:
    """Links to articles (URLs matching the source's `article_patterns`) in page order, each
    once, with the link text as title hint and the date printed beside it. `within`: CSS of
    the part of the page that lists the news (the whole page if absent)."""
    patterns = [re.compile(p) for p in source.article_patterns]
    roots = sel.css(within) if within else []
    root = roots[0] if roots else sel
    tz = tz_of(source)
    year = page_year(sel)
    seen: set[str] = set()
    out: list[Link] = []
    for a in root.css("a[href]"):
        url = urljoin(page_url, a.attrib["href"].strip()).split("#", 1)[0]
        if url in seen or not any(p.search(url) for p in patterns):
            continue
        seen.add(url)
        out.append(Link(url=url, title=text_of(a) or None, published=link_date(a, tz, year)))
    return out


def next_link(sel: Selector, page_url: str) -> str | None:
    href = sel.css("a[rel~=next]::attr(href), link[rel~=next]::attr(href)").get()
    return urljoin(page_url, href.strip()) if href else None


def block_paragraphs(block: Selector, skip: set[str] | None = None) -> list[str]:
    """The paragraphs (`p`, and `li` that hold no `p`) of a body block in document order,
    blanks, exact repeats and the texts in `skip` (captions, the headline) left out."""
    skip = skip or set()
    out: list[str] = []
    for node in block.xpath(".//p | .//li[not(.//p)]"):
        classes = node.attrib.get("class", "")
        if "caption" in classes:
            continue
        text = text_of(node)
        if text and text not in skip and text not in out:
            out.append(text)
    return out


def first(
    sel: Selector, selectors: tuple[str, ...], *, having: str | None = None
) -> Selector | None:
    """The first node matched by the first selector that matches (and holds `having`)."""
    for css in selectors:
        for node in sel.css(css):
            if having is None or node.css(having):
                return node
    return None


def headline(h1: Selector, label_class: re.Pattern[str]) -> str:
    """The text of a headline without its child elements whose class marks them as a
    section label (`<span class="title-label">報道発表</span>`)."""
    parts: list[str] = []
    for node in h1.xpath("./text() | ./*"):
        if isinstance(node.root, str):
            parts.append(node.get())
        elif node.root.tag == "br":
            parts.append(" ")
        elif not label_class.search(node.attrib.get("class", "")):
            parts.append(text_of(node))
    return clean(" ".join(parts))


def date_line(
    block: Selector, tz: ZoneInfo, selectors: tuple[str, ...], before: str
) -> datetime | None:
    """The date of the article's date line: the first of `selectors` whose text is a date,
    else the first date in the text that comes before the body (`before`, a class name)."""
    for css in selectors:
        for node in block.css(css):
            when = parse_date(text_of(node), tz)
            if when:
                return when
    test = f"contains(concat(' ', normalize-space(@class), ' '), ' {before} ')"
    head = block.xpath(f".//text()[following::*[{test}]][not(ancestor::*[{test}])]").getall()
    return parse_date(clean(" ".join(head)), tz)

"""A synthetic copy of one real source's site for the crawl benchmark, and a fixture
server that counts what it sends.

The site has the Laotian Times' markup (kizuna/demo_sites/laotian-times: a WordPress RSS
feed, the Japan tag archive paginated with `rel=next`, post pages with Yoast JSON-LD), so the
crawl exercises that source's real entries and its page objects (the generic ones:
trafilatura). Article bodies come from the ingest benchmark's synthetic corpus, never from
real articles; about one in twenty mentions Japan and Laos, so matching has work to do.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from io import BufferedIOBase
from pathlib import Path
from typing import Any, cast

import yaml

from benchmarks.ingest import Corpus
from kizuna.fixture_server import FixtureServer, FixtureSite, _Handler

ORIGIN = "https://laotiantimes.com"
LISTING = "/tag/japan/"  # the source's listing entry (config/sources.yaml)
FEED = "/feed/"
PER_PAGE = 20  # posts per archive page
FEED_ITEMS = 10
SEED = 20250301
ROBOTS = "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n"
CATEGORIES = ("News", "Business", "Economy", "Politics", "Tourism", "Opinion")


@dataclass(frozen=True)
class Post:
    """One article of the site: its real URL, the file that holds it, what it says."""

    index: int
    url: str
    file: str
    title: str
    paragraphs: tuple[str, ...]
    published: datetime

    @property
    def path(self) -> str:
        return self.url.removeprefix(ORIGIN)


@dataclass
class Site:
    """A generated site on disk: `directory` holds site.yaml and every file it routes."""

    directory: Path
    posts: list[Post]
    listing_pages: int


def build_site(directory: Path, count: int, seed: int = SEED) -> Site:
    """Write a site of `count` posts (newest first in the archive and the feed)."""
    directory.mkdir(parents=True, exist_ok=True)
    posts = sorted(_posts(count, seed), key=lambda p: p.published, reverse=True)
    routes: dict[str, Any] = {"/robots.txt": "robots.txt"}
    (directory / "robots.txt").write_text(ROBOTS, encoding="utf-8")
    for i, post in enumerate(posts):
        related = [posts[j] for j in (i - 1, i + 1) if 0 <= j < len(posts)]
        latest = posts[:SIDEBAR_POSTS]  # the sidebar's "Latest" and "Popular" lists
        (directory / post.file).write_text(post_html(post, related, latest), encoding="utf-8")
        routes[post.path] = post.file
    pages = max(1, -(-len(posts) // PER_PAGE))
    for page in range(1, pages + 1):
        name = f"tag-japan-p{page}.html"
        chunk = posts[(page - 1) * PER_PAGE : page * PER_PAGE]
        (directory / name).write_text(listing_html(chunk, page, pages), encoding="utf-8")
        routes[listing_path(page)] = name
    (directory / "feed.xml").write_text(feed_xml(posts[:FEED_ITEMS]), encoding="utf-8")
    routes[FEED] = {"file": "feed.xml", "content_type": "application/rss+xml; charset=UTF-8"}
    manifest = {"origin": ORIGIN, "routes": routes}
    (directory / "site.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), "utf-8")
    return Site(directory, posts, pages)


def _posts(count: int, seed: int) -> list[Post]:
    """`count` original items of the synthetic corpus (its syndicated copies skipped)."""
    corpus = Corpus(count * 2, seed)
    out: list[Post] = []
    for item in corpus:
        if item["url"] in corpus.copies:
            continue
        index = len(out)
        published = datetime.fromisoformat(item["published_at"])
        slug = re.sub(r"[^a-z0-9]+", "-", item["title"].lower()).strip("-")[:60].rstrip("-")
        url = f"{ORIGIN}/{published:%Y/%m/%d}/{slug}-{index}/"
        paragraphs = tuple(p for p in item["text"].split("\n\n") if p.strip())
        out.append(Post(index, url, f"post-{index}.html", item["title"], paragraphs, published))
        if len(out) == count:
            break
    return out


def listing_path(page: int) -> str:
    return LISTING if page == 1 else f"{LISTING}page/{page}/"


# ------------------------------------------------------------------ markup

_HEAD = """<!doctype html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | Laotian Times</title>
<link rel="canonical" href="{url}">
{extra}
<link rel="stylesheet" id="lt-style-css" href="{origin}/wp-content/themes/laotiantimes/style.css?ver=2.4.1" media="all">
</head>
<body class="{body_class}">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#primary">Skip to content</a>
<div class="top-bar"><div class="container"><span class="top-date">Vientiane</span>
<ul class="social-links"><li><a href="https://www.facebook.com/laotiantimes">Facebook</a></li><li><a href="https://t.me/laotiantimes">Telegram</a></li></ul></div></div>
<header id="masthead" class="site-header">
<div class="site-branding container"><a href="{origin}/" class="custom-logo-link" rel="home"><img src="{origin}/wp-content/uploads/2023/01/laotian-times-logo.png" alt="Laotian Times"></a></div>
<nav id="site-navigation" class="main-navigation" aria-label="Main menu">
<ul id="menu-main" class="menu">
{menu}
</ul>
</nav>
</header>
<div id="content" class="site-content container">
<main id="primary" class="site-main">
"""  # noqa: E501
_FOOT = """</main>
{aside}</div>
<footer id="colophon" class="site-footer">
<div class="container footer-widgets">
<section class="widget widget_text"><h2 class="widget-title">About Us</h2><p>The Laotian Times is an independent English-language news outlet covering business, politics and society.</p></section>
<section class="widget widget_nav_menu"><ul class="menu">
<li><a href="{origin}/about-us/">About Us</a></li>
<li><a href="{origin}/advertise/">Advertise</a></li>
<li><a href="{origin}/contact/">Contact</a></li>
</ul></section>
</div>
<div class="site-info container">&copy; 2025 Laotian Times. All rights reserved.</div>
</footer>
</div>
<script src="{origin}/wp-includes/js/jquery/jquery.min.js?ver=3.7.1" id="jquery-core-js"></script>
</body>
</html>
"""  # noqa: E501
_MENU = "\n".join(
    f'<li class="menu-item"><a href="{ORIGIN}/category/{c.lower()}/">{c}</a></li>'
    for c in CATEGORIES
)


def _head(title: str, url: str, extra: str, body_class: str) -> str:
    return _HEAD.format(
        title=html.escape(title),
        url=url,
        extra=extra,
        origin=ORIGIN,
        body_class=body_class,
        menu=_MENU,
    )


def post_html(post: Post, related: list[Post], latest: list[Post] | None = None) -> str:
    """A post page as the Laotian Times serves one (see its demo fixture), with the weight
    of a real one (`_page_weight`) when `latest` posts fill its sidebar."""
    when = post.published.isoformat()
    title = html.escape(post.title)
    lead = html.escape(post.paragraphs[0][:150]) if post.paragraphs else ""
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "NewsArticle",
                "@id": f"{post.url}#article",
                "author": {"@type": "Person", "name": "Laotian Times"},
                "headline": post.title,
                "datePublished": when,
                "dateModified": when,
                "mainEntityOfPage": {"@id": post.url},
                "articleBody": " ".join(post.paragraphs),
                "inLanguage": "en-US",
            },
            {"@type": "WebPage", "@id": post.url, "url": post.url, "datePublished": when},
        ],
    }
    meta = "\n".join(
        (
            '<meta property="og:type" content="article">',
            f'<meta property="og:title" content="{title}">',
            f'<meta property="og:description" content="{lead}">',
            f'<meta property="og:url" content="{post.url}">',
            '<meta property="og:site_name" content="Laotian Times">',
            f'<meta property="article:published_time" content="{when}">',
            '<script type="application/ld+json" class="yoast-schema-graph">'
            + json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
            + "</script>",
        )
    )
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in post.paragraphs)
    links = "\n".join(
        f'<div class="jp-relatedposts-post"><h4 class="jp-relatedposts-post-title">'
        f'<a href="{r.url}">{html.escape(r.title)}</a></h4>'
        f'<p class="jp-relatedposts-post-date">{r.published:%B %d, %Y}</p></div>'
        for r in related
    )
    category = CATEGORIES[post.index % len(CATEGORIES)]
    article = f"""<article id="post-{post.index}" class="post-{post.index} post type-post status-publish format-standard">
<header class="entry-header">
<div class="entry-category"><a href="{ORIGIN}/category/{category.lower()}/" rel="category tag">{category}</a></div>
<h1 class="entry-title">{title}</h1>
<div class="entry-meta">
<span class="byline">By <a class="url fn n" href="{ORIGIN}/author/laotian-times/">Laotian Times</a></span>
<span class="posted-on"><time class="entry-date published" datetime="{when}">{post.published:%B %d, %Y}</time></span>
</div>
</header>
<div class="entry-content">
{body}
<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline"><em>Related</em></h3>
{links}
</div>
</div>
<footer class="entry-footer"><span class="tags-links">Tags: <a href="{ORIGIN}{LISTING}" rel="tag">Japan</a></span></footer>
</article>
"""  # noqa: E501
    body_class = f"post-template-default single single-post postid-{post.index}"
    style, aside = _page_weight(latest, post.index) if latest else ("", "")
    return (
        _head(post.title, post.url, meta + style, body_class)
        + article
        + _FOOT.format(origin=ORIGIN, aside=aside)
    )


# fmt: off
_CSS_BLOCKS = (
    "wp-block", "entry", "widget", "site", "menu", "post", "jp-relatedposts", "comment",
    "sharedaddy", "has-text-align", "wp-element", "td", "tdb", "tdc", "ad",
)
_CSS_PROPS = (
    "margin:0 0 1.5em", "padding:.5em 1em", "font-size:var(--wp--preset--font-size--small)",
    "line-height:1.6", "color:#1e1e1e", "display:flex", "flex-wrap:wrap", "border:1px solid #ddd",
    "background:#fafafa", "text-transform:uppercase", "letter-spacing:.02em", "gap:1rem",
)
# fmt: on
SIDEBAR_POSTS = 20
COMMENTS = 4


def _page_weight(latest: list[Post], index: int) -> tuple[str, str]:
    """What a real WordPress news page carries besides its article, which extraction must
    read and discard: block and theme CSS inlined in the head, a sidebar of latest and
    popular posts with excerpts and thumbnails, a comment form, analytics and ad scripts.
    Real pages weigh 80-200 KB; a bare 10 KB page would make the extraction-only baseline
    unrealistically cheap. Returns (the head's extra markup, the sidebar and comments)."""
    rules = [
        f".{block}-{n}{{{_CSS_PROPS[(n + k) % len(_CSS_PROPS)]};"
        f"{_CSS_PROPS[(n * 7 + k) % len(_CSS_PROPS)]}}}"
        for k, block in enumerate(_CSS_BLOCKS)
        for n in range(60)
    ]
    style = '\n<style id="wp-block-library-inline-css">' + "\n".join(rules) + "</style>"
    config = {
        "ajaxurl": f"{ORIGIN}/wp-admin/admin-ajax.php",
        "post_id": index,
        "strings": {f"label_{n}": f"Text label number {n}" for n in range(120)},
    }
    style += (
        '\n<script id="theme-js-extra">var lt_vars = '
        + json.dumps(config).replace("</", "<\\/")
        + ";</script>"
    )

    def teaser(post: Post, kind: str) -> str:
        excerpt = html.escape(post.paragraphs[0][:160]) if post.paragraphs else ""
        return (
            f'<li class="{kind}-post"><a href="{post.url}" class="thumb">'
            f'<img src="{ORIGIN}/wp-content/uploads/{post.published:%Y/%m}/thumb-{post.index}.jpg"'
            f' width="150" height="100" alt="" loading="lazy"></a><div class="{kind}-body">'
            f'<h4><a href="{post.url}">{html.escape(post.title)}</a></h4>'
            f'<span class="date">{post.published:%B %d, %Y}</span><p>{excerpt}</p></div></li>'
        )

    popular = sorted(latest, key=lambda p: (p.index * 7919) % 101)
    widgets = [
        '<section class="widget widget_recent"><h2 class="widget-title">Latest News</h2><ul>'
        + "".join(teaser(p, "latest") for p in latest)
        + "</ul></section>",
        '<section class="widget widget_popular"><h2 class="widget-title">Most Popular</h2><ul>'
        + "".join(teaser(p, "popular") for p in popular)
        + "</ul></section>",
        '<section class="widget widget_newsletter"><h2 class="widget-title">Newsletter</h2>'
        f'<form action="{ORIGIN}/subscribe/" method="post"><input type="email" name="email"'
        ' placeholder="Your email"><button type="submit">Subscribe</button></form></section>',
        '<section class="widget widget_ad"><div class="ad-slot" data-slot="sidebar-1">'
        '<ins class="adsbygoogle" data-ad-client="ca-pub-0000" data-ad-slot="1"></ins>'
        "<script>(adsbygoogle = window.adsbygoogle || []).push({});</script></div></section>",
    ]
    comments = "".join(
        f'<li class="comment" id="comment-{index}-{n}"><article class="comment-body">'
        f'<footer class="comment-meta"><b class="fn">Reader {n + 1}</b></footer>'
        f'<div class="comment-content"><p>Thanks for the report, number {n + 1}.</p></div>'
        "</article></li>"
        for n in range(COMMENTS)
    )
    aside = (
        '<aside id="secondary" class="widget-area">' + "\n".join(widgets) + "</aside>\n"
        f'<div id="comments" class="comments-area"><ol class="comment-list">{comments}</ol>'
        f'<div id="respond" class="comment-respond"><form action="{ORIGIN}/wp-comments-post.php"'
        ' method="post" id="commentform"><textarea name="comment" rows="8"></textarea>'
        '<input name="author" type="text"><input name="email" type="email">'
        '<input type="submit" value="Post Comment"></form></div></div>\n'
        '<script async src="https://www.googletagmanager.com/gtag/js?id=G-XXXX"></script>\n'
    )
    return style, aside


def listing_html(posts: list[Post], page: int, pages: int) -> str:
    """Page `page` of the Japan tag archive: its posts, and `rel=next` unless it is the last."""
    url = ORIGIN + listing_path(page)
    next_url = ORIGIN + listing_path(page + 1) if page < pages else None
    extra = f'<link rel="next" href="{next_url}">' if next_url else ""
    blocks = []
    for post in posts:
        title = html.escape(post.title)
        summary = html.escape(post.paragraphs[0][:150]) if post.paragraphs else ""
        blocks.append(
            f'<article id="post-{post.index}" class="post-{post.index} post type-post">\n'
            f'<header class="entry-header">\n<h2 class="entry-title">'
            f'<a href="{post.url}" rel="bookmark">{title}</a></h2>\n'
            f'<div class="entry-meta"><time class="entry-date published" '
            f'datetime="{post.published.isoformat()}">{post.published:%B %d, %Y}</time></div>\n'
            f'</header>\n<div class="entry-summary"><p>{summary} [&hellip;]</p></div>\n'
            "</article>"
        )
    nav = f'<span aria-current="page" class="page-numbers current">{page}</span>'
    if next_url:
        nav += f'<a class="next page-numbers" href="{next_url}">Next &raquo;</a>'
    main = (
        '<header class="page-header"><h1 class="page-title">Tag: <span>Japan</span></h1></header>\n'
        + "\n".join(blocks)
        + '\n<nav class="navigation pagination" aria-label="Posts pagination">'
        + f'<div class="nav-links">{nav}</div></nav>\n'
    )
    return (
        _head("Japan Archives", url, extra, "archive tag tag-japan")
        + main
        + _FOOT.format(origin=ORIGIN, aside="")
    )


def feed_xml(posts: list[Post]) -> str:
    """The site's RSS feed: its newest posts, full text in content:encoded (WordPress)."""
    items = []
    for post in posts:
        content = "".join(f"<p>{html.escape(p)}</p>" for p in post.paragraphs)
        summary = html.escape(post.paragraphs[0][:150]) if post.paragraphs else ""
        items.append(
            f"<item>\n<title>{html.escape(post.title)}</title>\n<link>{post.url}</link>\n"
            f"<pubDate>{format_datetime(post.published)}</pubDate>\n"
            f'<guid isPermaLink="false">{ORIGIN}/?p={post.index}</guid>\n'
            f"<description><![CDATA[{summary} [&#8230;]]]></description>\n"
            f"<content:encoded><![CDATA[{content}]]></content:encoded>\n</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
        f"<channel>\n<title>Laotian Times</title>\n<link>{ORIGIN}/</link>\n"
        "<description>Laos News, Business, Tourism and Lifestyle</description>\n"
        "<language>en-US</language>\n" + "\n".join(items) + "\n</channel>\n</rss>\n"
    )


# ------------------------------------------------------------------ a counting server


@dataclass
class Traffic:
    """What the site sent: requests answered, bytes written (headers and bodies), by status."""

    requests: int = 0
    bytes: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reset(self) -> None:
        with self._lock:
            self.requests, self.bytes = 0, 0
            self.statuses.clear()

    def request(self) -> None:
        with self._lock:
            self.requests += 1

    def status(self, code: int) -> None:
        with self._lock:
            self.statuses[code] += 1

    def sent(self, count: int) -> None:
        with self._lock:
            self.bytes += count

    def snapshot(self) -> Traffic:
        with self._lock:
            return Traffic(self.requests, self.bytes, Counter(self.statuses))


class _CountingWriter:
    """The handler's socket writer, counting every byte written through it."""

    def __init__(self, raw: Any, traffic: Traffic) -> None:
        self._raw = raw
        self._traffic = traffic

    def write(self, data: bytes) -> int:
        written = self._raw.write(data)
        self._traffic.sent(len(data))
        return int(written) if written is not None else len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class _CountingHandler(_Handler):
    """The fixture server's handler, counting into `traffic` (set on a subclass)."""

    traffic: Traffic

    def setup(self) -> None:
        super().setup()
        self.wfile = cast(BufferedIOBase, _CountingWriter(self.wfile, self.traffic))

    def do_GET(self) -> None:
        self.traffic.request()
        super().do_GET()

    def send_response(self, code: int, message: str | None = None) -> None:
        self.traffic.status(code)
        super().send_response(code, message)


class CountingServer(FixtureServer):
    """kizuna's fixture server (robots.txt, ETag/Last-Modified, 304 on revalidation) on
    127.0.0.1, counting the requests and bytes the site pays for in `traffic`."""

    def __init__(self, site: FixtureSite) -> None:
        super().__init__(site)
        self.traffic = Traffic()
        self.httpd.RequestHandlerClass = type(
            "CountingHandler", (_CountingHandler,), {"site": site, "traffic": self.traffic}
        )

    def __enter__(self) -> CountingServer:
        super().__enter__()
        return self

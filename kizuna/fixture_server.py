"""Serves the bundled fixture sites on 127.0.0.1, one port per site, as the real sites
would (robots.txt, query-string URLs, Last-Modified/ETag, 304 on revalidation).

A site is a folder with a `site.yaml`: its real `origin` and `routes`, path (with query) →
either a file name or a mapping for the ways real sites misbehave:

    /blocked: {file: challenge.html, status: 403, headers: {Server: cloudflare}}
    /sjis: {file: page-sjis.html, content_type: "text/html; charset=shift_jis"}
    /nocharset: {file: lao.html, content_type: text/html}
    /slow: {file: page.html, delay: 5}        # seconds before answering
    /huge: {size_mb: 50}                       # a generated page that size
    /moved: {status: 301, headers: {Location: /new}}
    /busy: {file: page.html, fail: {times: 1, status: 429, headers: {Retry-After: "2"}}}
"""

from __future__ import annotations

import contextlib
import hashlib
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import yaml

DEMO_SITES = Path(__file__).resolve().parent / "demo_sites"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".php": "text/html; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/json",
}
# A fixed, old modification time: re-crawls can revalidate and get 304.
LAST_MODIFIED = formatdate(1735689600, usegmt=True)


def route_key(path_and_query: str) -> str:
    """Paths case-insensitive (ASP.NET sites are), query parameters in any order."""
    parts = urlsplit(path_and_query)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return parts.path.lower() + ("?" + query.lower() if query else "")


@dataclass(frozen=True)
class Route:
    file: Path | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    delay: float = 0.0
    size_mb: float = 0.0
    # The first `fail_times` requests get `fail_status` (and `fail_headers`) instead.
    fail_times: int = 0
    fail_status: int = 503
    fail_headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, directory: Path, spec: str | dict[str, Any]) -> Route:
        if isinstance(spec, str):
            return cls(file=directory / spec)
        fail = spec.get("fail") or {}
        return cls(
            fail_times=int(fail.get("times", 0)),
            fail_status=int(fail.get("status", 503)),
            fail_headers={str(k): str(v) for k, v in (fail.get("headers") or {}).items()},
            file=directory / spec["file"] if spec.get("file") else None,
            status=int(spec.get("status", 200)),
            headers={str(k): str(v) for k, v in (spec.get("headers") or {}).items()},
            content_type=spec.get("content_type"),
            delay=float(spec.get("delay", 0)),
            size_mb=float(spec.get("size_mb", 0)),
        )


@dataclass(frozen=True)
class Hit:
    """One request the site received: path and the headers that matter to tests."""

    path: str
    headers: dict[str, str]
    at: float = 0.0  # time.monotonic() when it arrived

    @property
    def conditional(self) -> bool:
        return "if-none-match" in self.headers or "if-modified-since" in self.headers


@dataclass
class FixtureSite:
    directory: Path
    origin: str
    routes: dict[str, Route]
    requests: list[str] = field(default_factory=list)  # paths, in order (live list)
    hits: list[Hit] = field(default_factory=list)  # the same requests, with headers and time
    served: dict[str, int] = field(default_factory=dict)  # route -> requests answered

    @classmethod
    def load(cls, directory: Path) -> FixtureSite:
        manifest = yaml.safe_load((directory / "site.yaml").read_text(encoding="utf-8"))
        routes = {route_key(k): Route.parse(directory, v) for k, v in manifest["routes"].items()}
        return cls(directory, manifest["origin"].rstrip("/"), routes)


class _Handler(BaseHTTPRequestHandler):
    site: FixtureSite

    def handle(self) -> None:
        # A crawler that gives up (timeout, oversize) hangs up mid-answer; that is expected.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            super().handle()

    def do_GET(self) -> None:
        self.site.requests.append(self.path)
        self.site.hits.append(
            Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
        )
        key = route_key(self.path)
        route = self.site.routes.get(key)
        if route is None or (route.file is not None and not route.file.exists()):
            self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>", ".html")
            return
        if route.delay:
            time.sleep(route.delay)
        served = self.site.served.get(key, 0)
        self.site.served[key] = served + 1
        if served < route.fail_times:
            body = b"<html><body><h1>Please slow down</h1></body></html>"
            self._send(route.fail_status, body, ".html", route.fail_headers)
            return
        if route.size_mb:
            self._send_huge(route)
            return
        body = route.file.read_bytes() if route.file else b""
        suffix = route.file.suffix if route.file else ".html"
        if route.status != 200:
            self._send(route.status, body, suffix, route.headers, route.content_type)
            return
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag or (
            self.headers.get("If-Modified-Since") == LAST_MODIFIED
        ):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED, **route.headers}
        self._send(200, body, suffix, headers, route.content_type)

    def _send(
        self,
        status: int,
        body: bytes,
        suffix: str,
        extra: dict[str, str] | None = None,
        content_type: str | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header(
            "Content-Type", content_type or CONTENT_TYPES.get(suffix, "application/octet-stream")
        )
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def _send_huge(self, route: Route) -> None:
        """A generated HTML page of `size_mb` megabytes, streamed (never held in memory)."""
        chunk = b"<p>" + b"Lorem ipsum dolor sit amet. " * 36 + b"</p>\n"
        total = int(route.size_mb * 1024 * 1024)
        head, tail = b"<html><head><title>Huge</title></head><body>", b"</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", route.content_type or "text/html; charset=utf-8")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        try:
            self.wfile.write(head)
            sent = len(head)
            while sent + len(chunk) + len(tail) <= total:
                self.wfile.write(chunk)
                sent += len(chunk)
            self.wfile.write(b" " * (total - sent - len(tail)) + tail)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler gave up on it, as it should

    def log_message(self, format: str, *args: Any) -> None:
        return


class FixtureServer:
    """One site on 127.0.0.1:<free port>; `base_url` is its mirror origin."""

    def __init__(self, site: FixtureSite, tls: ssl.SSLContext | None = None) -> None:
        self.site = site
        self.tls = tls
        handler = type("Handler", (_Handler,), {"site": site})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def __enter__(self) -> FixtureServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def demo_site_dirs() -> list[Path]:
    return sorted(p.parent for p in DEMO_SITES.glob("*/site.yaml"))

"""Serves the bundled fixture sites on 127.0.0.1, one port per site, as the real sites
would (robots.txt, query-string URLs, Last-Modified/ETag, 304 on revalidation)."""

from __future__ import annotations

import hashlib
import threading
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


@dataclass
class FixtureSite:
    directory: Path
    origin: str
    routes: dict[str, Path]
    requests: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, directory: Path) -> FixtureSite:
        manifest = yaml.safe_load((directory / "site.yaml").read_text(encoding="utf-8"))
        routes = {route_key(k): directory / v for k, v in manifest["routes"].items()}
        return cls(directory, manifest["origin"].rstrip("/"), routes)


class _Handler(BaseHTTPRequestHandler):
    site: FixtureSite

    def do_GET(self) -> None:
        self.site.requests.append(self.path)
        target = self.site.routes.get(route_key(self.path))
        if target is None or not target.exists():
            self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>", ".html")
            return
        body = target.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag or (
            self.headers.get("If-Modified-Since") == LAST_MODIFIED
        ):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self._send(200, body, target.suffix, {"ETag": etag, "Last-Modified": LAST_MODIFIED})

    def _send(
        self, status: int, body: bytes, suffix: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPES.get(suffix, "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


class FixtureServer:
    """One site on 127.0.0.1:<free port>; `base_url` is its mirror origin."""

    def __init__(self, site: FixtureSite) -> None:
        self.site = site
        handler = type("Handler", (_Handler,), {"site": site})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FixtureServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def demo_site_dirs() -> list[Path]:
    return sorted(p.parent for p in DEMO_SITES.glob("*/site.yaml"))

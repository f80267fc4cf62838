"""Record and replay crawls as WARC files (warcio), the web archive's standard format.

`--record FILE.warc.gz` keeps every response a crawl used (from the network or from the
HTTP cache), under its real URL and with the time it was fetched, as evidence of what a
page said and when. `--replay FILE.warc.gz` answers every request from such a file and
nothing else: a crawl that never touches the network, e.g. to re-run extraction after a
page-object fix, or to reproduce a bug report.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from config.identity import clean_url
from spiders.fingerprint import REAL_URL_META

log = logging.getLogger(__name__)
RECORD_SETTING = "KIZUNA_WARC_RECORD"
REPLAY_SETTING = "KIZUNA_WARC_REPLAY"
_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    404: "Not Found",
}


class _SharedWriter:
    """One writer per file for every crawler of the process (several sources, one file)."""

    writers: dict[Path, _SharedWriter] = {}  # noqa: RUF012

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.stream = path.open("ab")
        self.writer = WARCWriter(self.stream, gzip=path.suffix == ".gz")
        self.users = 0

    @classmethod
    def open(cls, path: Path) -> _SharedWriter:
        shared = cls.writers.get(path) or cls(path)
        cls.writers[path] = shared
        shared.users += 1
        return shared

    def release(self, path: Path) -> None:
        self.users -= 1
        if self.users <= 0:
            self.stream.close()
            self.writers.pop(path, None)


def _real_url(request: Request, mirrors: dict[str, str] | None = None) -> str:
    """The URL a request stands for: the real one behind a mirror. Requests Scrapy makes
    itself after the mirror rewrite (robots.txt) are mapped back through the mirror map."""
    real = request.meta.get(REAL_URL_META)
    if real:
        return str(real)
    for origin, mirror in (mirrors or {}).items():
        if request.url.startswith(mirror + "/"):
            return origin + request.url[len(mirror) :]
    return request.url


class WarcRecorderMiddleware:
    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path
        self.shared = _SharedWriter.open(path)
        self.mirrors = {k.lower(): v for k, v in crawler.settings.getdict("KIZUNA_MIRRORS").items()}
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        target = crawler.settings.get(RECORD_SETTING)
        if not target:
            raise NotConfigured
        return cls(crawler, Path(target).resolve())

    def spider_closed(self, spider: Any) -> None:
        self.shared.stream.flush()
        self.shared.release(self.path)

    def process_response(self, request: Request, response: Response) -> Response:
        url = _real_url(request, self.mirrors)
        writer = self.shared.writer
        when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        status = f"{response.status} {_REASONS.get(response.status, 'Status')}"
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, values in response.headers.items()
            for v in values
        ]
        http_headers = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
        record = writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(response.body),
            http_headers=http_headers,
            warc_headers_dict={"WARC-Date": when},
        )
        request_headers = StatusAndHeaders(
            f"{request.method} {url} HTTP/1.1",
            [
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, values in request.headers.items()
                for v in values
            ],
            is_http_request=True,
        )
        req_record = writer.create_warc_record(
            url,
            "request",
            payload=BytesIO(request.body or b""),
            http_headers=request_headers,
            warc_headers_dict={"WARC-Date": when},
        )
        writer.write_request_response_pair(req_record, record)
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("kizuna/warc_recorded")
        return response


def read_archive(path: Path) -> dict[str, tuple[int, list[tuple[str, str]], bytes]]:
    """Response records by cleaned URL (the last one wins)."""
    found: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            status = int(record.http_headers.get_statuscode())
            headers = list(record.http_headers.headers)
            body = record.content_stream().read()
            found[clean_url(url)] = (status, headers, body)
    return found


class WarcReplayMiddleware:
    """Answers every request from the archive; a URL it does not hold gets a 404."""

    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.records = read_archive(path)
        log.info("replaying %d responses from %s", len(self.records), path)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        source = crawler.settings.get(REPLAY_SETTING)
        if not source:
            raise NotConfigured
        return cls(crawler, Path(source))

    def process_request(self, request: Request) -> Response:
        url = _real_url(request)
        found = self.records.get(clean_url(url))
        stats = self.crawler.stats
        if found is None:
            if stats is not None:
                stats.inc_value("kizuna/warc_missing")
            return Response(url=url, status=404, body=b"", request=request)
        status, header_list, body = found
        headers = Headers()
        for k, v in header_list:
            if k.lower() not in ("content-length", "transfer-encoding"):
                headers.appendlist(k, v)
        cls = responsetypes.from_args(headers=headers, url=url, body=body)
        if stats is not None:
            stats.inc_value("kizuna/warc_replayed")
        return cls(url=url, status=status, headers=headers, body=body, request=request)

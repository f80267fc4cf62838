"""Request fingerprints on canonical URLs (`REQUEST_FINGERPRINTER_CLASS`).

Scrapy's default fingerprint is a hash of method, `w3lib.canonicalize_url(url)` and body;
headers are not included. Ours is the same hash taken over the canonical URL that keys the
database (storage/urls.py; implemented in config/identity.py: tracking parameters dropped,
identity rules applied), so the duplicate filter and the HTTP cache, which both key on the
crawler's fingerprinter, treat `detail.aspx?id=1&utm_source=x` and `Detail.aspx?id=1` as
one page (ENGINEERING.md §2, §4). The identity rules arrive as plain dicts in the
`KIZUNA_IDENTITY_RULES` setting (spiders/settings.py fills it from config/sources.yaml).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Self
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from pydantic import ValidationError
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.request import fingerprint

from config.errors import ConfigError
from config.identity import UrlCanonicalizer
from config.registry import IdentityRule

IDENTITY_RULES_SETTING = "KIZUNA_IDENTITY_RULES"
# Set by the mirror middleware on a request it sends to a mirror: the real URL, which is
# what the page is (so the HTTP cache survives a mirror changing port).
REAL_URL_META = "kizuna_real_url"


class CanonicalRequestFingerprinter:
    """Scrapy's `RequestFingerprinter` (method, URL, body) over our canonical URL."""

    def __init__(self, rules: Iterable[IdentityRule] = ()) -> None:
        self.canonical = UrlCanonicalizer(rules)
        # Requests are immutable in the parts we hash; Scrapy's own cache cannot help
        # because we hash a copy of each request.
        self._cache: WeakKeyDictionary[Request, bytes] = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        raw = crawler.settings.get(IDENTITY_RULES_SETTING) or []
        if isinstance(raw, str):  # given on a command line: `-s KIZUNA_IDENTITY_RULES=[...]`
            raw = json.loads(raw)
        rules: list[IdentityRule] = []
        for i, rule in enumerate(raw):
            try:
                rules.append(IdentityRule.model_validate(rule))
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                msg = err["msg"].removeprefix("Value error, ")
                raise ConfigError(
                    f"{IDENTITY_RULES_SETTING}[{i}]{'.' + where if where else ''}: {msg}"
                ) from None
        return cls(rules)

    def fingerprint(self, request: Request) -> bytes:
        cached = self._cache.get(request)
        if cached is None:
            cached = fingerprint(self._canonical_request(request))
            self._cache[request] = cached
        return cached

    def _canonical_request(self, request: Request) -> Request:
        """The request with our canonical URL; `verbatim_url` requests and non-web schemes
        (data:, file:) are left to Scrapy's default handling."""
        real = request.meta.get(REAL_URL_META, request.url)
        web = urlsplit(real).scheme in ("http", "https")
        if request.meta.get("verbatim_url") or not web:
            return request
        url = self.canonical(real)
        return request if url == request.url else request.replace(url=url)

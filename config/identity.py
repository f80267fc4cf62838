"""URL identity: the site-independent clean form of a URL, and the canonicalizer that
applies the sources' identity rules (`identity:` in config/sources.yaml) on top of it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from courlan import normalize_url
from w3lib.url import canonicalize_url

from config.registry import IdentityRule


def clean_url(url: str) -> str:
    """The site-independent form (ENGINEERING.md §4): courlan drops tracking parameters and
    default ports, w3lib sorts the query, drops the fragment, lower-cases scheme and host and
    percent-encodes the path consistently (Lao included)."""
    stripped = url.strip()
    try:
        cleaned = normalize_url(stripped, strict=False)
    except ValueError:
        cleaned = stripped
    return canonicalize_url(cleaned)


class UrlCanonicalizer:
    """`clean_url`, then the first identity rule whose pattern matches rewrites the URL to its
    template, cleaned again. Compiles the rules once: build one, call it for every URL.

    It lives in config/ because both storage/ (the database key) and spiders/ (request
    fingerprints) need the very same form and may both import only config/
    (ARCHITECTURE.md §3); storage.urls re-exports it."""

    def __init__(self, rules: Iterable[IdentityRule] = ()) -> None:
        self.rules: tuple[IdentityRule, ...] = tuple(rules)
        self._compiled = [(re.compile(rule.pattern), rule.url) for rule in self.rules]

    def __call__(self, url: str) -> str:
        cleaned = clean_url(url)
        for pattern, template in self._compiled:
            match = pattern.search(cleaned)
            if match:
                # A group that took no part in the match fills in as "".
                groups = {name: value or "" for name, value in match.groupdict().items()}
                return clean_url(template.format_map(groups))
        return cleaned

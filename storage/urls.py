"""Canonical URLs, the key that makes an article unique in the database.

courlan drops tracking parameters and default ports, w3lib sorts the query and drops the
fragment (ENGINEERING.md §4: together they give the desired form). Per-source identity
rules (`identity:` in config/sources.yaml) then fold the spellings a site uses for one
article into one URL: KPL's letter-case variants, a Vientiane Times article before and
after its issue is archived (SOURCES.md §3, §14). The implementation sits in
config/identity.py so that spiders/fingerprint.py hashes requests on exactly this form.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from config.identity import UrlCanonicalizer, clean_url
from config.registry import IdentityRule

__all__ = ["UrlCanonicalizer", "canonical_url", "clean_url"]


@lru_cache(maxsize=16)
def _canonicalizer(rules: tuple[IdentityRule, ...]) -> UrlCanonicalizer:
    return UrlCanonicalizer(rules)


def canonical_url(url: str, rules: Iterable[IdentityRule] = ()) -> str:
    """The URL that identifies `url`'s document; `canonical_url(canonical_url(u), rules) ==
    canonical_url(u, rules)`. Without rules only the site-independent cleaning applies; with
    many URLs, build one `UrlCanonicalizer(rules)` and call it instead."""
    return _canonicalizer(tuple(rules))(url)

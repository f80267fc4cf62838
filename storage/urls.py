"""Canonical URLs: courlan drops tracking parameters and default ports, w3lib sorts the
query and drops the fragment (ENGINEERING.md §4: together they give the desired form)."""

from __future__ import annotations

from courlan import normalize_url
from w3lib.url import canonicalize_url


def canonical_url(url: str) -> str:
    try:
        cleaned = normalize_url(url.strip(), strict=False)
    except ValueError:
        cleaned = url.strip()
    return canonicalize_url(cleaned)

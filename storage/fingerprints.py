"""Content fingerprints used for deduplication."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+")


def normalized_text(text: str) -> str:
    """NFKC, casefold, punctuation and whitespace removed: what 'the same text' means."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def content_hash(title: str, text: str) -> str:
    return hashlib.sha256(normalized_text(f"{title}\n{text}").encode("utf-8")).hexdigest()

"""Text normalisation and term search that work for English, Japanese and Lao alike."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACE = re.compile(r"\s+")
# Sentence ends: Latin punctuation followed by space, CJK full stops, Lao has no full stop so
# line breaks and the Lao ellipsis-like "ฯ" never occur; paragraphs also split.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])\s+(?=[\"'“‘(\[]?[A-Z0-9\u0E80-\u0EFF\u3000-\u9FFF])|(?<=[。！？])|\n+"
)


def normalize(text: str) -> str:
    """NFKC + casefold + collapsed whitespace; typographic quotes and dashes unified.

    NFKC matters for Lao (U+0EB3 decomposes) and Japanese full-width forms.
    """
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    return _SPACE.sub(" ", text.casefold()).strip()


@lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    """A pattern for a normalised term, with word boundaries only where the term's own
    edge is an ASCII letter or digit (Japanese and Lao are written without spaces)."""
    t = normalize(term)
    body = r"[\s-]".join(re.escape(part) for part in re.split(r"[\s-]+", t))
    left = r"(?<![a-z0-9])" if t[:1].isascii() and t[:1].isalnum() else ""
    right = r"(?![a-z0-9])" if t[-1:].isascii() and t[-1:].isalnum() else ""
    return re.compile(left + body + right)


def split_sentences(text: str) -> list[str]:
    parts = (p.strip() for p in _SENTENCE_END.split(text))
    return [p for p in parts if p]


def clip(text: str, limit: int = 300) -> str:
    """At most `limit` characters, cut at a word boundary when there is one."""
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def clip_around(text: str, terms: list[str], limit: int = 300) -> str:
    """At most `limit` characters of `text`, as a window that keeps the first of `terms`
    found (so evidence always shows what fired), with ellipses where it was cut."""
    text = unicodedata.normalize("NFKC", _SPACE.sub(" ", text).strip())
    if len(text) <= limit:
        return text
    lowered = text.casefold().replace("’", "'").replace("‘", "'")
    lowered = lowered.replace("–", "-").replace("—", "-")
    if len(lowered) != len(text):  # casefolding changed lengths: offsets are unreliable
        return clip(text, limit)
    spans = [m.span() for t in terms if (m := term_pattern(t).search(lowered))]
    if not spans:
        return clip(text, limit)
    start, end = min(spans)
    if end <= limit - 1:
        return clip(text, limit)
    room = limit - 2 - (end - start)
    left = max(0, start - max(room // 2, 0))
    right = min(len(text), left + limit - 2)
    window = text[left:right].strip()
    return ("…" if left > 0 else "") + window + ("…" if right < len(text) else "")

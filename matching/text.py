"""Text normalisation and term search that work for English, Japanese and Lao alike."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
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


@lru_cache(maxsize=4096)
def literal_parts(term: str) -> tuple[str, ...]:
    """The pieces of a normalised term between spaces and hyphens: `term_pattern(term)`
    matches only text that contains each of them."""
    return tuple(p for p in re.split(r"[\s-]+", normalize(term)) if p)


def may_occur(term: str, text: str) -> bool:
    """False when `term_pattern(term)` cannot match `text` (a cheap test before a search)."""
    return all(part in text for part in literal_parts(term))


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


_ASCII_WORD = re.compile(r"[a-z0-9]+")
_NOT_PIECE = re.compile(r"[a-z0-9\s-]+")


class Vocabulary:
    """Which of a fixed list of terms can occur in a text, found without a regex per term.

    A term's pattern (see `term_pattern`) matches only where each of its ASCII words (runs
    of a-z and 0-9) is a whole word of the text and each of its other pieces (Japanese, Lao,
    punctuation) is a substring. `candidates(doc)` is therefore a superset of the terms
    whose pattern matches `doc` or any part of it that is not flanked by an ASCII letter or
    digit: a sentence of it, or its sentences joined by other whitespace. Searching only
    the candidates finds exactly what searching every term would.
    """

    def __init__(self, terms: Iterable[str]) -> None:
        self._by_word: dict[str, list[tuple[str, tuple[str, ...], tuple[str, ...]]]] = {}
        self._by_char: dict[str, list[tuple[str, tuple[str, ...], tuple[str, ...]]]] = {}
        for term in dict.fromkeys(terms):
            t = normalize(term)
            words = tuple(dict.fromkeys(_ASCII_WORD.findall(t)))
            pieces = tuple(dict.fromkeys(p for p in _NOT_PIECE.split(t) if p))
            entry = (term, words, pieces)
            if words:
                self._by_word.setdefault(words[0], []).append(entry)
            elif pieces:
                self._by_char.setdefault(max(pieces, key=len)[0], []).append(entry)
            else:  # empty after normalisation: its pattern matches everywhere
                self._by_char.setdefault("", []).append(entry)

    def candidates(self, doc: str) -> frozenset[str]:
        """The terms that may occur in `doc` (normalised, see `normalize`)."""
        words = set(_ASCII_WORD.findall(doc))
        found: list[str] = []
        for keys, index in ((words, self._by_word), ({"", *doc}, self._by_char)):
            for key in keys & index.keys():
                found += (
                    term
                    for term, need_words, pieces in index[key]
                    if all(w in words for w in need_words) and all(p in doc for p in pieces)
                )
        return frozenset(found)

"""A small BM25 over character n-grams: the ranked `possible` tier.

Character n-grams need no tokenizer, so Japanese and Lao work as English does. The index
holds a few dozen paragraphs; a dependency (bm25s pulls numpy and scipy) would buy nothing
at that size, so the formula is written out here.
"""

from __future__ import annotations

import math
from collections import Counter

N = 3
K1 = 1.2
B = 0.75


def ngrams(text: str, n: int = N) -> Counter[str]:
    compact = " ".join(text.split())
    return Counter(compact[i : i + n] for i in range(max(len(compact) - n + 1, 0)))


class LexicalIndex:
    """BM25 of a query against each paragraph, reported as a z-score across paragraphs:
    a paragraph stands out only when the item resembles it much more than the others
    (raw BM25 mostly measures shared diplomatic boilerplate)."""

    def __init__(self, documents: dict[str, str]) -> None:
        from matching.text import normalize

        self.docs = {k: ngrams(normalize(v)) for k, v in documents.items()}
        self.lengths = {k: sum(c.values()) for k, c in self.docs.items()}
        self.avg = sum(self.lengths.values()) / max(len(self.docs), 1)
        df: Counter[str] = Counter()
        for grams in self.docs.values():
            df.update(grams.keys())
        n = len(self.docs)
        self.idf = {g: math.log(1 + (n - f + 0.5) / (f + 0.5)) for g, f in df.items()}
        # Each n-gram's term of the BM25 sum, per paragraph, and by n-gram.
        self.weights = {key: self._weights(key) for key in self.docs}
        self.postings: dict[str, list[tuple[str, float]]] = {}
        for key, weights in self.weights.items():
            for g, weight in weights.items():
                self.postings.setdefault(g, []).append((key, weight))

    def _weights(self, key: str) -> dict[str, float]:
        length = self.lengths[key]
        return {
            g: self.idf[g] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / self.avg))
            for g, tf in self.docs[key].items()
        }

    def bm25(self, normalized_text: str, key: str) -> float:
        weights = self.weights[key]
        total = 0.0
        for g in set(ngrams(normalized_text)):
            weight = weights.get(g)
            if weight is not None:
                total += weight
        return total

    def scores(self, normalized_text: str) -> dict[str, float]:
        """BM25 of the text against every paragraph (each sum taken in the same order)."""
        totals = dict.fromkeys(self.docs, 0.0)
        for g in set(ngrams(normalized_text)):
            for key, weight in self.postings.get(g, ()):
                totals[key] += weight
        return totals

    def top(self, normalized_text: str, k: int = 3) -> list[tuple[str, float]]:
        """The k most similar paragraphs with their z-scores (0 when nothing stands out)."""
        scores = self.scores(normalized_text)
        if len(scores) < 3:
            return []
        mean = sum(scores.values()) / len(scores)
        sd = math.sqrt(sum((v - mean) ** 2 for v in scores.values()) / len(scores))
        if sd == 0:
            return []
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])[:k]
        return [(key, (value - mean) / sd) for key, value in ranked]

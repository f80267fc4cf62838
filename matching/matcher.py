"""The matcher: a pure function of (item, catalogue) -> relevance and commitment matches.

First version: per-commitment aliases (word boundaries where the script has them), a
Japan–Laos relevance rule and the evidence sentence. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from config.registry import Commitment
from matching.relevance import JAPAN_TERMS, LAOS_TERMS, judge
from matching.text import clip, normalize, split_sentences, term_pattern

MATCH_WEIGHT = 1.5  # weight at which a hit becomes a `match` rather than a `possible`
EVIDENCE_LIMIT = 300


@dataclass(frozen=True)
class CommitmentHit:
    key: str
    paragraph: int
    title: str
    score: float
    tier: str  # "match" | "possible"
    evidence: str
    fired: tuple[str, ...]

    def as_contract(self) -> dict[str, object]:
        """The shape `kizuna match` prints."""
        return {
            "key": self.key,
            "paragraph": self.paragraph,
            "score": self.score,
            "tier": self.tier,
            "evidence": self.evidence,
            "fired": list(self.fired),
        }


@dataclass(frozen=True)
class MatchResult:
    relevant: bool
    reason: str
    commitments: list[CommitmentHit] = field(default_factory=list)
    possible: list[CommitmentHit] = field(default_factory=list)

    @property
    def all_hits(self) -> list[CommitmentHit]:
        return self.commitments + self.possible


@dataclass(frozen=True)
class _Compiled:
    commitment: Commitment
    aliases: tuple[str, ...]


class Matcher:
    def __init__(self, commitments: Iterable[Commitment]) -> None:
        self._catalogue = [
            _Compiled(c, _distinct(a for names in c.aliases.values() for a in names))
            for c in commitments
        ]

    def match(self, title: str, text: str, home: str | None = None) -> MatchResult:
        """`home`: country code of the publishing source, when known (see `judge`)."""
        ntitle, nbody = normalize(title or ""), normalize(text or "")
        relevance = judge(ntitle, nbody, home)
        if not relevance.relevant:
            return MatchResult(False, relevance.reason)
        sentences = (
            [title.strip(), *split_sentences(text or "")] if title else split_sentences(text or "")
        )
        hits = [h for c in self._catalogue if (h := self._hit(c, ntitle, nbody, sentences))]
        hits.sort(key=lambda h: (-h.score, h.paragraph))
        return MatchResult(
            True,
            relevance.reason,
            [h for h in hits if h.tier == "match"],
            [h for h in hits if h.tier == "possible"],
        )

    def _hit(
        self, c: _Compiled, ntitle: str, nbody: str, sentences: list[str]
    ) -> CommitmentHit | None:
        weight = 0.0
        fired: list[str] = []
        for alias in c.aliases:
            pattern = term_pattern(alias)
            in_title = bool(pattern.search(ntitle))
            count = len(pattern.findall(nbody))
            if not in_title and not count:
                continue
            fired.append(alias)
            weight += (2.0 if in_title else 1.0) + 0.5 * min(max(count - 1, 0), 2)
        if not fired:
            return None
        score = round(1 - 0.6**weight, 3)
        tier = "match" if weight >= MATCH_WEIGHT else "possible"
        return CommitmentHit(
            key=c.commitment.key,
            paragraph=c.commitment.paragraph,
            title=c.commitment.title,
            score=score,
            tier=tier,
            evidence=_evidence(sentences, fired),
            fired=tuple(fired),
        )


def _distinct(aliases: Iterable[str]) -> tuple[str, ...]:
    """Aliases that differ only by case, hyphens or spaces are one alias (the first kept)."""
    seen: dict[str, str] = {}
    for alias in aliases:
        seen.setdefault(term_pattern(alias).pattern, alias)
    return tuple(seen.values())


def _evidence(sentences: list[str], fired: list[str]) -> str:
    """The sentence holding the most alias hits; ties go to one naming Japan or Laos."""
    patterns = [term_pattern(a) for a in fired]
    country = [term_pattern(t) for t in (*JAPAN_TERMS, *LAOS_TERMS)]

    def rank(sentence: str) -> tuple[int, int]:
        ns = normalize(sentence)
        return (
            sum(1 for p in patterns if p.search(ns)),
            sum(1 for p in country if p.search(ns)),
        )

    best = max(sentences, key=rank, default="")
    return clip(best, EVIDENCE_LIMIT)

"""The matcher: a pure function of (item, catalogue) -> relevance and commitment matches.

Per commitment, three tiers of evidence:
1. rules (all/any/none term groups, usually within one sentence) -> `match`;
2. aliases (programme, place and institution names in English, Japanese and Lao), minus
   hits in sentences a near-miss negative claims -> `match` for commitments without rules
   when the hits are strong enough, otherwise `possible`;
3. a lexical similarity between the item and the paragraph (BM25 over character n-grams)
   -> `possible` only.
Every hit carries the evidence sentence (at most 300 characters) and what fired.
Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from config.registry import Commitment, Rule
from matching.lexical import LexicalIndex
from matching.relevance import judge
from matching.text import (
    Vocabulary,
    clip,
    clip_around,
    normalize,
    split_sentences,
    term_pattern,
)

MATCH_WEIGHT = 1.5  # alias weight at which a commitment without rules is a `match`
# Score bands, calibrated on tests/fixtures/eval/labelled.jsonl (make eval): a score is
# roughly the share of such hits the labels confirm. Rule matches were right 89% of the
# time, alias-only matches 22 of 22, alias `possible`s 50%, lexical `possible`s 29%.
# Within a band, more supporting aliases score higher.
RULE_BAND = (0.85, 0.95)
ALIAS_MATCH_BAND = (0.85, 0.97)
ALIAS_POSSIBLE_BAND = (0.35, 0.6)
LEXICAL_BAND = (0.2, 0.35)


def _in_band(band: tuple[float, float], strength: float) -> float:
    """Place a 0..1 strength inside a calibrated band."""
    low, high = band
    return round(low + (high - low) * max(0.0, min(1.0, strength)), 3)


EVIDENCE_LIMIT = 300
LEXICAL_Z = 3.0  # how far above the other paragraphs a lexical `possible` must stand


@dataclass(frozen=True)
class CommitmentHit:
    key: str
    paragraph: int
    title: str
    score: float
    tier: str  # "match" | "possible"
    evidence: str
    fired: tuple[str, ...]
    subitem: str | None = None

    def as_contract(self) -> dict[str, object]:
        """The shape `kizuna match` prints."""
        out: dict[str, object] = {
            "key": self.key,
            "paragraph": self.paragraph,
            "score": self.score,
            "tier": self.tier,
            "evidence": self.evidence,
            "fired": list(self.fired),
        }
        if self.subitem:
            out["subitem"] = self.subitem
        return out


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
class _Sentences:
    """The headline and the text's sentences, as written and normalised (index 0 = title),
    and the catalogue terms that can occur in them (`Vocabulary.candidates`): a term not
    among them is in no sentence, so only those are searched."""

    raw: list[str]
    norm: list[str]
    has_title: bool
    terms: frozenset[str]

    @classmethod
    def of(cls, title: str, text: str, vocabulary: Vocabulary) -> _Sentences:
        raw = [title.strip()] if title and title.strip() else []
        has_title = bool(raw)
        raw += split_sentences(text or "")
        norm = [normalize(s) for s in raw]
        return cls(raw, norm, has_title, vocabulary.candidates("\n".join(norm)))

    def only(self, terms: Iterable[str]) -> list[str]:
        """`terms` that can occur here, in order (repeats kept)."""
        return [t for t in terms if t in self.terms]


def _present(terms: Iterable[str], text: str) -> list[str]:
    return [t for t in terms if term_pattern(t).search(text)]


@dataclass(frozen=True)
class _Compiled:
    commitment: Commitment
    aliases: tuple[str, ...]
    subitem_of: dict[str, str]

    @classmethod
    def of(cls, c: Commitment) -> _Compiled:
        subitem_of: dict[str, str] = {}
        names = [a for names in c.aliases.values() for a in names]
        for sub in c.subitems:
            for a in (a for names in sub.aliases.values() for a in names):
                names.append(a)
                subitem_of.setdefault(term_pattern(a).pattern, sub.key)
        return cls(c, _distinct(names), subitem_of)


class Matcher:
    def __init__(self, commitments: Iterable[Commitment]) -> None:
        self._catalogue = [_Compiled.of(c) for c in commitments]
        self._by_key = {c.commitment.key: c for c in self._catalogue}
        # Every term the rules, negatives and aliases name, distinct, in catalogue order.
        self.terms = tuple(dict.fromkeys(_catalogue_terms(self._catalogue)))
        self._vocabulary = Vocabulary(self.terms)
        self._lexical = LexicalIndex(
            {
                c.commitment.key: " ".join([c.commitment.title, c.commitment.text, *c.aliases])
                for c in self._catalogue
            }
        )

    def match(self, title: str, text: str, home: str | None = None) -> MatchResult:
        """`home`: country code of the publishing source, when known (see `judge`)."""
        ntitle, nbody = normalize(title or ""), normalize(text or "")
        relevance = judge(ntitle, nbody, home)
        if not relevance.relevant:
            return MatchResult(False, relevance.reason)
        sentences = _Sentences.of(title or "", text or "", self._vocabulary)
        hits = [h for c in self._catalogue if (h := self._hit(c, sentences, title or ""))]
        hits += self._lexical_hits({h.key for h in hits}, sentences, f"{ntitle} {nbody}")
        hits.sort(key=lambda h: (h.tier != "match", -h.score, h.paragraph))
        return MatchResult(
            True,
            relevance.reason,
            [h for h in hits if h.tier == "match"],
            [h for h in hits if h.tier == "possible"],
        )

    def _hit(self, c: _Compiled, s: _Sentences, title: str) -> CommitmentHit | None:
        commitment = c.commitment
        rule_hit = next((r for rule in commitment.rules if (r := _fire(rule, s))), None)
        alias_weight, fired, best, subitem = _alias_evidence(c, s, bool(title.strip()))
        if rule_hit is not None:
            rule, sentence_index = rule_hit
            return CommitmentHit(
                key=commitment.key,
                paragraph=commitment.paragraph,
                title=commitment.title,
                score=_in_band(RULE_BAND, 1 - 0.6**alias_weight),
                tier="match",
                evidence=clip_around(s.raw[sentence_index], _rule_terms(rule), EVIDENCE_LIMIT),
                fired=(f"rule:{rule.id}", *fired),
                subitem=subitem,
            )
        if not fired:
            return None
        strong = alias_weight >= MATCH_WEIGHT and not commitment.rules
        strength = 1 - 0.6**alias_weight
        return CommitmentHit(
            key=commitment.key,
            paragraph=commitment.paragraph,
            title=commitment.title,
            score=_in_band(ALIAS_MATCH_BAND if strong else ALIAS_POSSIBLE_BAND, strength),
            tier="match" if strong else "possible",
            evidence=clip_around(s.raw[best], fired, EVIDENCE_LIMIT),
            fired=tuple(fired),
            subitem=subitem,
        )

    def _lexical_hits(self, already: set[str], s: _Sentences, whole: str) -> list[CommitmentHit]:
        out: list[CommitmentHit] = []
        for key, z in self._lexical.top(whole, k=1):
            if key in already or z < LEXICAL_Z:
                continue
            c = self._by_key[key]
            best = max(range(len(s.raw)), key=lambda i: self._lexical.bm25(s.norm[i], key))
            out.append(
                CommitmentHit(
                    key=key,
                    paragraph=c.commitment.paragraph,
                    title=c.commitment.title,
                    score=_in_band(LEXICAL_BAND, (z - LEXICAL_Z) / 3),
                    tier="possible",
                    evidence=clip(s.raw[best], EVIDENCE_LIMIT),
                    fired=(f"similar:z={z:.1f}",),
                )
            )
        return out


@dataclass(frozen=True)
class _Terms:
    """A rule's terms that can occur in the item (`_Sentences.only`)."""

    all: list[list[str]]
    any: list[str]
    any_required: bool
    none: list[str]

    @classmethod
    def of(cls, rule: Rule, s: _Sentences) -> _Terms | None:
        """None when the rule cannot hold anywhere in the item."""
        groups = [s.only(group) for group in rule.all]
        any_ = s.only(rule.any)
        if not all(groups) or (rule.any and not any_):
            return None
        return cls(groups, any_, bool(rule.any), s.only(rule.none))


def _fire(rule: Rule, s: _Sentences) -> tuple[Rule, int] | None:
    """(rule, evidence sentence index) when the rule holds."""
    terms = _Terms.of(rule, s)
    if terms is None:
        return None
    if rule.within == "sentence":
        # Body sentences first: they say more than the headline that summarises them.
        for i in [*range(1, len(s.norm)), 0] if s.has_title else range(len(s.norm)):
            if _holds(terms, s.norm[i]):
                return rule, i
        return None
    whole = " \n".join(s.norm)
    if not _holds(terms, whole):
        return None
    named = [t for group in terms.all for t in group]
    best = max(range(len(s.norm)), key=lambda i: len(_present(named, s.norm[i])))
    return rule, best


def _rule_terms(rule: Rule) -> list[str]:
    return [t for group in rule.all for t in group] + list(rule.any)


def _holds(terms: _Terms, text: str) -> bool:
    return (
        all(_present(group, text) for group in terms.all)
        and (not terms.any_required or bool(_present(terms.any, text)))
        and not _present(terms.none, text)
    )


def _claimed(negatives: list[tuple[list[str], list[str]]], sentence: str) -> bool:
    """A near miss (terms, unless) claims the sentence."""
    return any(
        _present(terms, sentence) and not _present(unless, sentence) for terms, unless in negatives
    )


def _alias_evidence(
    c: _Compiled, s: _Sentences, has_title: bool
) -> tuple[float, list[str], int, str | None]:
    """(weight, aliases that fired, best sentence index, sub-item) over unclaimed sentences."""
    weight = 0.0
    fired: list[str] = []
    per_sentence = [0] * len(s.norm)
    subitem: str | None = None
    aliases = s.only(c.aliases)
    if not aliases:
        return weight, fired, 0, subitem
    negatives = [
        (terms, s.only(n.unless)) for n in c.commitment.negatives if (terms := s.only(n.terms))
    ]
    usable = [not _claimed(negatives, n) for n in s.norm]
    for alias in aliases:
        pattern = term_pattern(alias)
        found = [i for i, n in enumerate(s.norm) if usable[i] and pattern.search(n)]
        if not found:
            continue
        fired.append(alias)
        subitem = subitem or c.subitem_of.get(pattern.pattern)
        in_title = has_title and found[0] == 0
        weight += (2.0 if in_title else 1.0) + 0.5 * min(len(found) - 1, 2)
        for i in found:
            per_sentence[i] += 1
    best = max(range(len(per_sentence)), key=lambda i: per_sentence[i]) if per_sentence else 0
    return weight, fired, best, subitem


def _catalogue_terms(catalogue: Iterable[_Compiled]) -> list[str]:
    """Every term a commitment's rules, negatives and aliases name."""
    terms: list[str] = []
    for c in catalogue:
        terms += c.aliases
        for rule in c.commitment.rules:
            terms += [t for group in rule.all for t in group] + rule.any + rule.none
        for negative in c.commitment.negatives:
            terms += negative.terms + negative.unless
    return terms


def _distinct(aliases: Iterable[str]) -> tuple[str, ...]:
    """Aliases that differ only by case, hyphens or spaces are one alias (the first kept)."""
    seen: dict[str, str] = {}
    for alias in aliases:
        seen.setdefault(term_pattern(alias).pattern, alias)
    return tuple(seen.values())

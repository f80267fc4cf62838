"""Is an item about Japan–Laos relations, not one that merely lists one of them?"""

from __future__ import annotations

from dataclasses import dataclass

from matching.text import split_sentences, term_pattern

# Names of the two countries (and unmistakable stand-ins) in the languages wire copy uses.
JAPAN_TERMS = (
    "Japan",
    "Japanese",
    "JICA",
    "Japan International Cooperation Agency",
    "日本",
    "ຍີ່ປຸ່ນ",
    "Giappone",
    "Japon",
    "Japón",
    "Nhật Bản",
    "Nhật",
)
LAOS_TERMS = (
    "Laos",
    "Lao PDR",
    "Lao",
    "Laotian",
    "Vientiane",
    "Luang Prabang",
    "ラオス",
    "ビエンチャン",
    "ລາວ",
    "ສປປ ລາວ",
    "ວຽງຈັນ",
    "Lào",
    "Laotien",
    "Laotienne",
)


@dataclass(frozen=True)
class Relevance:
    relevant: bool
    japan_mentions: int
    laos_mentions: int
    joint_sentences: int
    reason: str


def _count(terms: tuple[str, ...], text: str) -> int:
    return sum(len(term_pattern(t).findall(text)) for t in terms)


def _mentions(terms: tuple[str, ...], text: str) -> bool:
    return any(term_pattern(t).search(text) for t in terms)


def judge(title: str, body: str, home: str | None = None) -> Relevance:
    """Both parties substantively involved: named together in the headline, or one named
    repeatedly, the other at least once, and a sentence that names both.
    Arguments are normalised (see `matching.text.normalize`)."""
    japan = _count(JAPAN_TERMS, title) * 2 + _count(JAPAN_TERMS, body)
    laos = _count(LAOS_TERMS, title) * 2 + _count(LAOS_TERMS, body)
    joint = sum(
        1 for s in split_sentences(body) if _mentions(JAPAN_TERMS, s) and _mentions(LAOS_TERMS, s)
    )
    if _mentions(JAPAN_TERMS, title) and _mentions(LAOS_TERMS, title):
        return Relevance(True, japan, laos, joint, "both countries in the headline")
    if home == "la":
        laos, joint = laos + 2, max(joint, 1)
    elif home == "jp":
        japan, joint = japan + 2, max(joint, 1)
    if japan >= 2 and laos >= 2 and joint >= 1:
        return Relevance(True, japan, laos, joint, "both countries named together repeatedly")
    return Relevance(False, japan, laos, joint, "not substantively about both countries")

"""Is an item about Japan–Laos relations (both parties substantively involved), not one
that names Laos in a list of ASEAN members or as the venue of a multilateral meeting?

Counts mentions of each party: country names in the languages wire copy uses, plus
unmistakable stand-ins (leaders, institutions, places, currency). Mentions in a sentence
listing many countries count half; false friends ("Japanese encephalitis", Vietnam's
"Lao Cai") are removed first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from matching.text import split_sentences, term_pattern

JAPAN_TERMS = (
    "Japan",
    "Japanese",
    "JICA",
    "Japan International Cooperation Agency",
    "Tokyo",
    "JETRO",
    "JITCO",
    "JOCV",
    "Self-Defense Forces",
    "Imperial Household",
    "Princess Aiko",
    "Emperor Naruhito",
    "Kishida",
    "Ishiba",
    "Takaichi",
    "Abe Shinzo",
    "Shinzo Abe",
    "Suga",
    "Iwaya",
    "Kamikawa",
    "Motegi",
    "Hayashi Yoshimasa",
    "JPY",
    "billion yen",
    "million yen",
    "日本",
    "政府開発援助",
    "外務省",
    "天皇",
    "皇室",
    "愛子",
    "岸田",
    "石破",
    "高市",
    "東京",
    "ຍີ່ປຸ່ນ",
    "Giappone",
    "giapponese",
    "Japon",
    "japonais",
    "Japón",
    "Nhật Bản",
)
LAOS_TERMS = (
    "Laos",
    "Lao PDR",
    "Lao",
    "Laotian",
    "Vientiane",
    "Luang Prabang",
    "Savannakhet",
    "Champasak",
    "Xieng Khouang",
    "Houaphanh",
    "Khammouane",
    "Bolikhamxay",
    "Attapeu",
    "Sekong",
    "Saravane",
    "Oudomxay",
    "Luang Namtha",
    "Bokeo",
    "Phongsaly",
    "Xayaboury",
    "Sonexay",
    "Thongloun",
    "Saleumxay",
    "Phankham",
    "Chansamone",
    "Pany Yathotou",
    "kip",
    "ラオス",
    "ビエンチャン",
    "ルアンパバーン",
    "サバナケット",
    "ソンサイ",
    "トンルン",
    "ລາວ",
    "ວຽງຈັນ",
    "Lào",
    "Laotien",
    "Laotienne",
    "Laotiani",
)
# Phrases that contain a party's name without being about it.
FALSE_FRIENDS = (
    "Japanese encephalitis",
    "Japanese knotweed",
    "Japanese beetle",
    "Lao Cai",
    "Laocai",
    "日本脳炎",
)
OTHER_COUNTRIES = (
    "China",
    "Chinese",
    "Korea",
    "Korean",
    "India",
    "United States",
    "U.S.",
    "US",
    "Russia",
    "Australia",
    "New Zealand",
    "Cambodia",
    "Thailand",
    "Vietnam",
    "Viet Nam",
    "Myanmar",
    "Philippines",
    "Indonesia",
    "Malaysia",
    "Singapore",
    "Brunei",
    "Canada",
    "European Union",
    "Timor-Leste",
    "Tuvalu",
    "Palestine",
    "中国",
    "韓国",
    "カンボジア",
    "タイ",
    "ベトナム",
    "ミャンマー",
    "ຈີນ",
    "ໄທ",
    "ຫວຽດນາມ",
    "ກຳປູເຈຍ",
)
MULTILATERAL = (
    "ASEAN Summit",
    "East Asia Summit",
    "EAS",
    "ASEAN Regional Forum",
    "ASEAN-Japan Summit",
    "ASEAN Plus Three",
    "related summits",
    "ministerial meeting",
    "foreign ministers' meeting",
    "ASEAN Foreign Ministers",
    "東アジア首脳会議",
    "ASEAN関連首脳会議",
)
BILATERAL = (
    "bilateral",
    "Japan-Laos",
    "Laos-Japan",
    "Japan-Lao",
    "Lao-Japan",
    "both countries",
    "the two countries",
    "two nations",
    "Lao counterpart",
    "日ラオス",
    "日・ラオス",
    "両国",
    "ລາວ-ຍີ່ປຸ່ນ",
    "ສອງປະເທດ",
)
_LOCATIVE = re.compile(r"(?:\bin|\bat|\bto|\bhosted by|で|にて)\s*$")


@dataclass(frozen=True)
class Relevance:
    relevant: bool
    japan_mentions: float
    laos_mentions: float
    joint_sentences: int
    reason: str


def _strip_false_friends(text: str) -> str:
    for phrase in FALSE_FRIENDS:
        text = term_pattern(phrase).sub(" ", text)
    return text


def _hits(terms: tuple[str, ...], text: str) -> list[int]:
    """Start offsets of every term occurrence (longest term wins an overlap)."""
    spans: list[tuple[int, int]] = []
    for t in sorted(terms, key=len, reverse=True):
        for m in term_pattern(t).finditer(text):
            if not any(s < m.end() and m.start() < e for s, e in spans):
                spans.append((m.start(), m.end()))
    return sorted(s for s, _ in spans)


def _count(terms: tuple[str, ...], sentence: str) -> float:
    """Mentions in one sentence; a sentence listing four or more countries counts half."""
    n = len(_hits(terms, sentence))
    if n and len(_hits(OTHER_COUNTRIES, sentence)) >= 3:
        return n * 0.5
    return float(n)


def _only_venue(sentences: list[str], whole: str) -> bool:
    """Laos appears as where a multilateral meeting took place, plus at most one passing
    mention (greeting the host), and nothing marks a bilateral exchange."""
    if not any(term_pattern(t).search(whole) for t in MULTILATERAL):
        return False
    if any(term_pattern(t).search(whole) for t in BILATERAL):
        return False
    locative = passing = 0
    for s in sentences:
        starts = _hits(LAOS_TERMS, s)
        if not starts:
            continue
        if all(_LOCATIVE.search(s[:start]) for start in starts):
            locative += 1
        else:
            passing += 1
    return locative >= 1 and passing <= 1


def judge(title: str, body: str, home: str | None = None) -> Relevance:
    """Both parties substantively involved: named together in the headline, or each named
    more than once with at least one sentence naming both. `home` is the publishing
    source's country ("la", "jp"): a Lao agency's story about a Japanese grant need not
    say "Laos". Title and body are normalised (see `matching.text.normalize`)."""
    title, body = _strip_false_friends(title), _strip_false_friends(body)
    sentences = [s for s in [title, *split_sentences(body)] if s]
    japan = sum(_count(JAPAN_TERMS, s) for s in sentences) + _count(JAPAN_TERMS, title)
    laos = sum(_count(LAOS_TERMS, s) for s in sentences) + _count(LAOS_TERMS, title)
    joint = sum(1 for s in sentences if _hits(JAPAN_TERMS, s) and _hits(LAOS_TERMS, s))
    if home == "la":
        laos, joint = laos + 2, max(joint, 1)
    elif home == "jp":
        japan, joint = japan + 2, max(joint, 1)
    if home != "la" and _only_venue(sentences, f"{title} {body}"):
        return Relevance(False, japan, laos, joint, "Laos only as the venue of a meeting")
    if _hits(JAPAN_TERMS, title) and _hits(LAOS_TERMS, title):
        return Relevance(True, japan, laos, joint, "both countries in the headline")
    if japan >= 2 and laos >= 2 and joint >= 1:
        return Relevance(True, japan, laos, joint, "both countries named together repeatedly")
    return Relevance(False, japan, laos, joint, "not substantively about both countries")

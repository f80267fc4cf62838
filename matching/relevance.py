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

from matching.text import Vocabulary, may_occur, split_sentences, term_pattern

# fmt: off
JAPAN_TERMS = (
    # English and other Latin-script languages
    "Japan", "Japanese", "JICA", "Japan International Cooperation Agency", "Tokyo", "JETRO",
    "JITCO", "JOCV", "Self-Defense Forces", "Self-Defense Force", "JGSDF", "JMSDF", "JASDF",
    "Imperial Household", "Princess Aiko", "Emperor Naruhito", "Kishida", "Ishiba", "Takaichi",
    "Abe Shinzo", "Shinzo Abe", "Suga", "Iwaya", "Kamikawa", "Motegi", "Hayashi Yoshimasa",
    "JPY", "billion yen", "million yen",
    "Giappone", "giapponese", "Japon", "japonais", "Japón", "Nhật Bản",
    # Japanese
    "日本", "日・ラオス", "日ラオス", "我が国", "政府開発援助", "無償資金協力", "円借款",
    "国際協力機構", "防衛省", "自衛隊", "天皇", "皇室", "愛子", "岸田", "石破", "高市", "岩屋",
    "上川", "茂木", "林外務大臣", "林大臣", "東京", "在留邦人", "邦人",
    # Lao
    "ຍີ່ປຸ່ນ", "ໄຈກາ",
)
LAOS_TERMS = (
    "Laos", "Lao PDR", "Lao", "Laotian", "Vientiane", "Luang Prabang", "Savannakhet",
    "Champasak", "Champassak", "Xieng Khouang", "Houaphanh", "Khammouane", "Khammuan",
    "Khammouan", "Bolikhamxay", "Attapeu", "Sekong", "Saravane", "Salavan", "Oudomxay",
    "Luang Namtha", "Bokeo", "Phongsaly", "Xayaboury", "Xayabouly", "Vang Vieng",
    "Sonexay", "Thongloun", "Saleumxay", "Phankham", "Chansamone", "Pany Yathotou",
    "Thongsavanh", "kip",
    "Lào", "Laotien", "Laotienne", "Laotiani",
    # Japanese
    "ラオス", "ビエンチャン", "ヴィエンチャン", "ルアンパバーン", "ルアンプラバン", "サバナケット",
    "サワンナケート", "チャンパサック", "チャンパーサック", "アッタプー", "ルアンナムター",
    "シエンクワン", "ボーリカムサイ", "ソンサイ", "トンルン", "サルムサイ", "トンサワン",
    # Lao
    "ລາວ", "ວຽງຈັນ",
)
# Phrases that contain a party's name without being about it.
FALSE_FRIENDS = (
    "Japanese encephalitis", "Japanese knotweed", "Japanese beetle", "Lao Cai", "Laocai",
    "日本脳炎", "ໄຂ້ສະໝອງອັກເສບຍີ່ປຸ່ນ",
)
# fmt: on
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
    "米国",
    "アメリカ",
    "インド",
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
_LOCATIVE_BEFORE = re.compile(r"(?:\bin|\bat|\bto|\bhosted by)\s*$")
# Japanese marks place after the noun: "ビエンチャンで", "ラオスの首都ビエンチャンで".
_LOCATIVE_AFTER = re.compile(r"^(?:の首都[^\s、。]{0,8}?)?(?:で|において|にて)")
_LAO_SCRIPT = re.compile(r"[\u0E80-\u0EFF]")
LEAD_SENTENCES = 2  # the headline and the first sentence
# The terms `judge` searches, and the lists searched longest term first (see `_hits`).
_VOCABULARY = Vocabulary((*JAPAN_TERMS, *LAOS_TERMS, *OTHER_COUNTRIES, *MULTILATERAL, *BILATERAL))
_JAPAN_LONGEST_FIRST = tuple(sorted(JAPAN_TERMS, key=len, reverse=True))
_LAOS_LONGEST_FIRST = tuple(sorted(LAOS_TERMS, key=len, reverse=True))
_OTHERS_LONGEST_FIRST = tuple(sorted(OTHER_COUNTRIES, key=len, reverse=True))


@dataclass(frozen=True)
class Relevance:
    relevant: bool
    japan_mentions: float
    laos_mentions: float
    joint_sentences: int
    reason: str


def _strip_false_friends(text: str) -> str:
    for phrase in FALSE_FRIENDS:
        if may_occur(phrase, text):
            text = term_pattern(phrase).sub(" ", text)
    return text


def _hits(longest_first: tuple[str, ...], text: str, possible: frozenset[str]) -> list[int]:
    """Start offsets of every term occurrence (longest term wins an overlap); only terms
    in `possible` (`Vocabulary.candidates` of the item) are searched."""
    spans: list[tuple[int, int]] = []
    for t in longest_first:
        if t not in possible:
            continue
        for m in term_pattern(t).finditer(text):
            if not any(s < m.end() and m.start() < e for s, e in spans):
                spans.append((m.start(), m.end()))
    return sorted(s for s, _ in spans)


@dataclass(frozen=True)
class _Sentence:
    """One sentence's mentions, found once: where each party is named, and whether the
    sentence lists several other countries (then its mentions count half)."""

    text: str
    japan: list[int]
    laos: list[int]
    listing: bool

    @classmethod
    def of(cls, text: str, possible: frozenset[str]) -> _Sentence:
        japan = _hits(_JAPAN_LONGEST_FIRST, text, possible)
        laos = _hits(_LAOS_LONGEST_FIRST, text, possible)
        listing = bool(japan or laos) and len(_hits(_OTHERS_LONGEST_FIRST, text, possible)) >= 3
        return cls(text, japan, laos, listing)

    def weight(self, starts: list[int]) -> float:
        return len(starts) * (0.5 if self.listing else 1.0)


def _locative(sentence: str, start: int) -> bool:
    if _LOCATIVE_BEFORE.search(sentence[:start]):
        return True
    rest = sentence[start:]
    for t in LAOS_TERMS:
        m = term_pattern(t).match(rest)
        if m and _LOCATIVE_AFTER.match(rest[m.end() :]):
            return True
    return False


def _only_venue(sentences: list[_Sentence], whole: str, possible: frozenset[str]) -> bool:
    """Laos appears as where a multilateral meeting took place, plus at most one passing
    mention (greeting the host), and nothing marks a bilateral exchange."""
    if not any(term_pattern(t).search(whole) for t in MULTILATERAL if t in possible):
        return False
    if any(term_pattern(t).search(whole) for t in BILATERAL if t in possible):
        return False
    locative = passing = 0
    for s in sentences:
        if not s.laos:
            continue
        if all(_locative(s.text, start) for start in s.laos):
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
    if home is None and len(_LAO_SCRIPT.findall(body)) > len(body) * 0.3:
        home = "la"  # Lao-language news is Lao press: the Lao side is its own
    possible = _VOCABULARY.candidates(f"{title}\n{body}")
    sentences = [_Sentence.of(s, possible) for s in [title, *split_sentences(body)] if s]
    headline = sentences[0] if title and sentences else None
    # The headline counts twice: once as a sentence, once more for being the headline.
    japan = sum(s.weight(s.japan) for s in sentences) + (
        headline.weight(headline.japan) if headline else 0.0
    )
    laos = sum(s.weight(s.laos) for s in sentences) + (
        headline.weight(headline.laos) if headline else 0.0
    )
    joint_at = [i for i, s in enumerate(sentences) if s.japan and s.laos]
    joint = len(joint_at)
    if home == "la":
        laos, joint, joint_at = laos + 2, max(joint, 1), joint_at or [0]
    elif home == "jp":
        japan, joint, joint_at = japan + 2, max(joint, 1), joint_at or [0]
    if home != "la" and _only_venue(sentences, f"{title} {body}", possible):
        return Relevance(False, japan, laos, joint, "Laos only as the venue of a meeting")
    if headline is not None and headline.japan and headline.laos:
        return Relevance(True, japan, laos, joint, "both countries in the headline")
    if japan >= 2 and laos >= 2 and joint >= 1:
        return Relevance(True, japan, laos, joint, "both countries named together repeatedly")
    if min(japan, laos) >= 1 and japan + laos >= 5 and joint_at and joint_at[0] < LEAD_SENTENCES:
        return Relevance(True, japan, laos, joint, "both countries in the lead, one at length")
    return Relevance(False, japan, laos, joint, "not substantively about both countries")

"""Do two news items report the same event? A language-independent signature and pair score.

Items about one event are often not copies: outlets rewrite it, agencies translate it (en, ja,
lo, it, fr). The MinHash layer (`storage.fingerprints`) finds textual near-copies; this module
finds the rest from what survives rewriting and translation:

- the publication date (more than `PUBLICATION_WINDOW_DAYS` apart: never the same event);
- the event dates the text mentions ("22 January 2025", "7月28日", "21 ມັງກອນ 2025");
- figures: amounts of money, counts, percentages and measures, normalised to unit + value;
- names: Latin-script proper nouns, katakana runs, kanji names before a title, Lao names after
  ທ່ານ, and a small gazetteer that maps leaders and provinces across scripts;
- the commitments the matcher found (given by the caller);
- same-language word / character n-gram overlap, which never decides alone.

Precision comes first: merging two events is worse than missing a link. Each kind of evidence
is weighed as a log-odds-like amount and summed. A pair reaches `SAME_EVENT_THRESHOLD` only
when (1) the sum is at least `_RAW_THRESHOLD`, (2) a date, a figure or distinctive names agree
(a "hard" agreement), (3) at least two kinds of evidence agree (a shared day alone is common on
summit days; shared wording alone is common to annual events), and (4) nothing contradicts it:
reports that each give event days with none in common, or each give one amount of a currency
and the amounts differ, are two events. Weaker disagreements subtract: a day one report only
mentions in passing, one differing count each ("22 scholars" vs "25"), disjoint commitments,
several Latin-script names each and none shared.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache
from itertools import islice
from typing import Any, Protocol

SIGNATURE_VERSION = 1
PUBLICATION_WINDOW_DAYS = 7
SAME_EVENT_THRESHOLD = 0.5
_RAW_THRESHOLD = 3.0  # raw evidence at which same_event() returns SAME_EVENT_THRESHOLD
_GATED_CAP = 0.4  # the most a pair without any hard agreement can score
_MAX_TERMS = 160
_TEXT_KIND = 0.3  # same-language overlap counting as a kind of evidence
_HARD_NAMES = 1.5  # shared distinctive names that alone make a "hard" agreement
_CONTRADICTION = 3.0  # disagreeing event days or headline amounts: never the same event
_EVIDENCE = ("publication", "dates", "figures", "names", "commitments", "text")  # summed, in order
_ACTORS_DISAGREE = 2.0  # both name leaders, none the same
_NAMES_DISAGREE = 0.8  # both name people or bodies in Latin script, none the same

# --------------------------------------------------------------------------------------------
# Normalisation


def _nf(text: str) -> str:
    """NFKC (Lao ຳ and ໜ/ໝ decompose; Japanese full-width digits become ASCII), with the
    typographic quotes and dashes unified. Case is kept: names need it."""
    text = unicodedata.normalize("NFKC", text)
    return text.translate(_PUNCT)


_PUNCT = str.maketrans({"’": "'", "‘": "'", "–": "-", "—": "-", "−": "-", "～": "~", "〜": "~"})


# Sentence ends as matching.text splits them (storage/ may not import matching/: see
# tests/test_imports.py): Latin punctuation before a capital or digit, CJK full stops, newlines.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])\s+(?=[\"'“‘(\[]?[A-Z0-9\u0E80-\u0EFF\u3000-\u9FFF])|(?<=[。！？])|\n+"
)
# The same without the CJK full stops, written to start with the whitespace every match starts
# with there, so that `re` skips ahead to it (a text without 。！？ is split the same by both).
_LATIN_SENTENCE_END = re.compile(
    r"\s(?:(?<=[.!?]\s)\s*(?=[\"'“‘(\[]?[A-Z0-9\u0E80-\u0EFF\u3000-\u9FFF])|(?<=\n)\n*)"
)
_CJK_STOP = re.compile("[。！？]")


def _sentences(text: str) -> list[str]:
    splitter = _SENTENCE_END if _CJK_STOP.search(text) else _LATIN_SENTENCE_END
    return [p for p in (part.strip() for part in splitter.split(text)) if p]


# The letters that `re.IGNORECASE` matches to an ASCII letter but str.lower() does not lowercase
# to it (İ ı ſ K): where a text has none, a case-insensitive pattern of ASCII words can only match
# where the lowercased text has the word, which a quick test can rule out first.
_ODD_CASE = re.compile("[\u0130\u0131\u017f\u212a]")


def _words(text: str) -> tuple[str, ...]:
    """A word list written as one string (NFKC-normalised, as the texts are)."""
    return tuple(_nf(w) for w in text.split())


# --------------------------------------------------------------------------------------------
# Dates

_EN_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}  # fmt: skip
_IT_MONTHS = {
    "gennaio": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "giugno": 6,
    "luglio": 7, "agosto": 8, "settembre": 9, "ottobre": 10, "novembre": 11, "dicembre": 12,
}  # fmt: skip
_FR_MONTHS = {
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
}  # fmt: skip
_LO_MONTHS = {
    name: i + 1
    for i, name in enumerate(
        _words("ມັງກອນ ກຸມພາ ມີນາ ເມສາ ພຶດສະພາ ມິຖຸນາ ກໍລະກົດ ສິງຫາ ກັນຍາ ຕຸລາ ພະຈິກ ທັນວາ")
    )
}
# Month names match case-insensitively, except "May" (not the verb "may"); French "mars" and
# "mai" count only outside English text.
_LATIN_MONTHS = {**_EN_MONTHS, **_IT_MONTHS, **_FR_MONTHS}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_MONTH_WORD = re.compile(
    r"(?<![A-Za-z\u00C0-\u024F])(?:(?i:" + _alternation(w for w in _LATIN_MONTHS if w != "may")
    + r")|May|MAY)(?![A-Za-z\u00C0-\u024F])\.?"
)  # fmt: skip
_ORD = r"(?:st|nd|rd|th|er|º|°)?"
_RANGE = r"\s*(?:-|to|and|&|al|au|e|et)\s*"
# Around a month name: "16 to 20 March", "22 January", "1er avril" before it; "March 16-20",
# "January 22" after it; ", 2025" after either.
_DAYS_BEFORE = re.compile(
    r"(?:(?<![\d.,])(?P<day2>[0-3]?\d)" + _ORD + _RANGE + r")?(?<![\d.,])(?P<day>[0-3]?\d)"
    + _ORD + r"\s+(?:(?:de|di|of)\s+)?$"
)  # fmt: skip
_DAYS_AFTER = re.compile(
    r"\s+(?P<day>[0-3]?\d)" + _ORD + r"(?:" + _RANGE + r"(?P<day2>[0-3]?\d)" + _ORD + r")?"
    r"(?![\d%]|[.,]\d)"
)
_YEAR_AFTER = re.compile(r",?\s+(?P<year>(?:19|20)\d\d)(?!\d)")
_MONTH_PREPOSITION = re.compile(
    r"(?<![A-Za-z])(?i:in|since|from|by|until|till|during|early|late|mid|end of|of|à|en|di|del|"
    r"nel|a)[\s-]+$"
)
_JA_ERA = {"令和": 2018, "平成": 1988}
_JA_YEAR = r"(?:(?P<year>(?:19|20)\d\d)年|(?P<era>令和|平成)(?P<eray>\d{1,2}|元)年)?"
_JA_DATES = [
    # 3月16日から20日まで, 2022年7月28日, 令和7年9月30日
    re.compile(
        _JA_YEAR + r"(?P<mon>\d{1,2})月(?P<day>\d{1,2})日"
        r"(?:(?:から|~|-|・|、)(?:(?P<mon2>\d{1,2})月)?(?P<day2>\d{1,2})日)?"
    ),
]
# A bare "10日" is a date only before a particle or time word; "15日以内" is a duration.
_JA_DAY_ONLY = re.compile(
    r"(?<![\d月年第])(?P<day>\d{1,2})日(?=に|の|は|から|まで|、|,|\(|午|朝|夜|付|~)"
)
_JA_MONTH_ONLY = re.compile(
    _JA_YEAR + r"(?P<mon>\d{1,2})月(?![\d日])(?:上旬|中旬|下旬|初め|末|以降|から|に|の|、)"
)
_LO_MONTH = r"(?P<mon>" + _alternation(_LO_MONTHS) + r")"
_LO_YEAR = r"(?:\s*(?:" + _nf("ປີ") + r"\s*)?(?P<year>(?:19|20)\d\d))?"
_LO_DATES = [
    re.compile(
        r"(?<!\d)(?P<day2>[0-3]?\d)\s*(?:-|" + _nf("ຫາ") + r"|" + _nf("ເຖິງ") + r")\s*"
        r"(?P<day>[0-3]?\d)\s*" + _LO_MONTH + _LO_YEAR
    ),
    re.compile(r"(?<![\d.,])(?P<day>[0-3]?\d)\s*" + _LO_MONTH + _LO_YEAR),
]
_LO_MONTH_ONLY = re.compile(_nf("ເດືອນ") + r"\s*" + _LO_MONTH + _LO_YEAR)
_NUMERIC_DATE = re.compile(r"(?<![\d/.])(?P<day>[0-3]?\d)/(?P<mon>[01]?\d)/(?P<year>(?:19|20)\d\d)")


@dataclass(frozen=True)
class _Date:
    """A mentioned date: year and month may be unknown (None); day None for month-level."""

    year: int | None
    month: int | None
    day: int | None

    @property
    def key(self) -> str:
        if self.day is not None and self.month is None:
            return f"---{self.day:02d}"
        y = f"{self.year:04d}" if self.year else "-"
        if self.day is None:
            return f"{y}-{self.month:02d}" if self.year else f"--{self.month:02d}"
        return f"{y}-{self.month:02d}-{self.day:02d}"

    @classmethod
    def parse(cls, key: str) -> _Date:
        if key.startswith("---"):
            return cls(None, None, int(key[3:]))
        parts = key.lstrip("-").split("-")
        year = None if key.startswith("--") else int(parts.pop(0))
        return cls(year, int(parts[0]), int(parts[1]) if len(parts) > 1 else None)


def _valid(month: int | None, day: int | None) -> bool:
    return (month is None or 1 <= month <= 12) and (day is None or 1 <= day <= 31)


def _month_number(word: str, lang: str) -> int | None:
    w = word.rstrip(".").lower()
    if lang == "en" and w in _FR_MONTHS and w not in _EN_MONTHS:
        return None  # "mars", "mai" in English text are not months
    return _LATIN_MONTHS.get(w)


def _resolve(d: _Date, published: date | None) -> _Date:
    """Give an implicit year (and, for a bare day, the month) from the publication date:
    the candidate closest to it, as a reader would."""
    if published is None or d.year is not None:
        return d
    if d.month is None and d.day is not None:
        month_start = published.replace(day=1)
        prev = month_start - timedelta(days=1)
        if d.day <= published.day:
            return _Date(published.year, published.month, d.day)
        return _Date(prev.year, prev.month, d.day)  # "27日" read on the 2nd: last month
    best: _Date | None = None
    best_gap = 10**9
    for year in (published.year - 1, published.year, published.year + 1):
        try:
            gap = abs((date(year, d.month or 1, d.day or 15) - published).days)
        except ValueError:
            continue
        if gap < best_gap:
            best, best_gap = _Date(year, d.month, d.day), gap
    return best or d


class _Spanned(Protocol):
    def start(self) -> int: ...
    def end(self) -> int: ...
    def span(self) -> tuple[int, int]: ...


@dataclass
class _Found:
    """Dates found in one piece of text, with the character spans they used."""

    dates: list[tuple[int, _Date]]
    spans: list[tuple[int, int]]

    def taken(self, m: _Spanned) -> bool:
        return any(s < m.end() and m.start() < e for s, e in self.spans)

    def add(self, m: _Spanned, year: int | None, days: list[tuple[int | None, int]]) -> None:
        """Days given as (month or None, day); invalid ones and overlapping matches dropped."""
        good = [(mo, dy) for mo, dy in days if _valid(mo, dy)]
        if good and not self.taken(m):
            self.spans.append(m.span())
            self.dates.extend((m.start(), _Date(year, mo, dy)) for mo, dy in good)

    def add_month(self, m: _Spanned, year: str | int | None, month: int | None) -> None:
        if month is not None and _valid(month, None) and not self.taken(m):
            self.spans.append(m.span())
            self.dates.append((m.start(), _Date(int(year) if year else None, month, None)))


def _era_year(m: re.Match[str]) -> int | None:
    if m.group("year"):
        return int(m.group("year"))
    if m.group("era"):
        n = m.group("eray")
        return _JA_ERA[m.group("era")] + (1 if n == "元" else int(n))
    return None


_MONTH_STEMS = _words(
    "jan feb fév fev mar apr avr may mai jun jui giu jul lug aug ago aoû aou sep set oct ott nov "
    "dec déc dic gen"
)
# One search each instead of a substring test per name.
_MONTH_STEM = re.compile("|".join(map(re.escape, _MONTH_STEMS)))
# Where `_MONTH_WORD` can match, the lowercased text has a month name not followed by [a-z].
_MONTH_NAME = re.compile("(?:" + _alternation(_LATIN_MONTHS) + ")(?![a-z])")
_LO_MONTH_NAME = re.compile(_alternation(_LO_MONTHS))


def _find_dates(text: str, lang: str) -> _Found:
    """Dates and months mentioned in one sentence, in text order. Each script's patterns run
    only when the sentence could hold them (this is the costly part of a signature)."""
    found = _Found([], [])
    lowered = text.lower()
    if _MONTH_STEM.search(lowered) and (_MONTH_NAME.search(lowered) or _ODD_CASE.search(text)):
        _latin_dates(text, lang, found)
    if lang == "ja" or "月" in text:
        _ja_dates(text, lang, found)
    if lang == "lo" or _LO_MONTH_NAME.search(text):
        _lo_dates(text, found)
    if "/" in text and lang not in ("en", "ja"):
        for m in _NUMERIC_DATE.finditer(text):
            found.add(m, int(m.group("year")), [(int(m.group("mon")), int(m.group("day")))])
    found.dates.sort(key=lambda pd: pd[0])
    return found


@dataclass(frozen=True)
class _Span:
    """The stretch of text a date used (what `_Found` needs of a match)."""

    begin: int
    finish: int

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.finish

    def span(self) -> tuple[int, int]:
        return self.begin, self.finish


def _latin_dates(text: str, lang: str, found: _Found) -> None:
    """Dates around each month name: one scan, then small anchored patterns either side."""
    for m in _MONTH_WORD.finditer(text):
        month = _month_number(m.group(), lang)
        if month is None:
            continue
        before = _DAYS_BEFORE.search(text, max(0, m.start() - 40), m.start())
        after = None if before else _DAYS_AFTER.match(text, m.end())
        year = _YEAR_AFTER.match(text, after.end() if after else m.end())
        span = _Span(before.start() if before else m.start(), (year or after or m).end())
        days = before or after
        if days:
            numbers = [int(d) for d in (days.group("day2"), days.group("day")) if d]
            yyyy = int(year.group("year")) if year else None
            found.add(span, yyyy, [(month, d) for d in numbers])
        elif year or _MONTH_PREPOSITION.search(text, max(0, m.start() - 12), m.start()):
            found.add_month(span, year.group("year") if year else None, month)


def _ja_dates(text: str, lang: str, found: _Found) -> None:
    for rx in _JA_DATES:
        for m in rx.finditer(text):
            mon, year = int(m.group("mon")), _era_year(m)
            days: list[tuple[int | None, int]] = [(mon, int(m.group("day")))]
            if m.group("day2"):
                days.append((int(m.group("mon2") or mon), int(m.group("day2"))))
            found.add(m, year, days)
    if lang == "ja":
        for m in _JA_DAY_ONLY.finditer(text):
            found.add(m, None, [(None, int(m.group("day")))])
    for m in _JA_MONTH_ONLY.finditer(text):
        found.add_month(m, _era_year(m), int(m.group("mon")))


def _lo_dates(text: str, found: _Found) -> None:
    for rx in _LO_DATES:
        for m in rx.finditer(text):
            mon = _LO_MONTHS[m.group("mon")]
            days = [int(m.group("day"))]
            if m.groupdict().get("day2"):
                days.append(int(m.group("day2")))
            year = int(m.group("year")) if m.group("year") else None
            found.add(m, year, [(mon, d) for d in days])
    for m in _LO_MONTH_ONLY.finditer(text):
        found.add_month(m, m.group("year"), _LO_MONTHS[m.group("mon")])


def _compatible(a: _Date, b: _Date) -> bool:
    """Could these two mentions denote the same day (or month, for month-level ones)?"""
    if a.year and b.year and a.year != b.year:
        return False
    if a.month and b.month and a.month != b.month:
        return False
    return not (a.day and b.day and a.day != b.day)


def _specific(d: _Date) -> bool:
    return d.day is not None and d.month is not None


# --------------------------------------------------------------------------------------------
# Figures

_SCALES = {
    "thousand": 1e3, "k": 1e3, "mila": 1e3, "million": 1e6, "millions": 1e6, "mn": 1e6,
    "m": 1e6, "milione": 1e6, "milioni": 1e6, "billion": 1e9, "billions": 1e9, "bn": 1e9,
    "miliardo": 1e9, "miliardi": 1e9, "milliard": 1e9, "milliards": 1e9, "trillion": 1e12,
}  # fmt: skip
_CUR_PREFIX = {
    "us$": "usd", "usd": "usd", "u.s.$": "usd", "$": "usd", "s$": "sgd", "sgd": "sgd",
    "a$": "aud", "au$": "aud", "aud": "aud", "jpy": "jpy", "¥": "jpy", "€": "eur", "eur": "eur",
    "thb": "thb", "฿": "thb", "lak": "lak", "cny": "cny", "rmb": "cny", "krw": "krw",
}  # fmt: skip
_CUR_SUFFIX = {
    "us dollars": "usd", "u.s. dollars": "usd", "dollars": "usd", "dollar": "usd",
    "dollari": "usd", "dollars américains": "usd", "usd": "usd", "yen": "jpy", "yens": "jpy",
    "jpy": "jpy", "kip": "lak", "lak": "lak", "euros": "eur", "euro": "eur", "eur": "eur",
    "baht": "thb", "thb": "thb", "yuan": "cny", "won": "krw",
}  # fmt: skip
_NUM = r"\d{1,3}(?:[,.]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"


def _num_not_after(chars: str) -> str:
    """`(?<![chars])(?:_NUM)` written to start with a digit, which lets `re` skip ahead to the
    digits of a text instead of trying the look-behind at every position."""
    return r"\d(?<![" + chars + r"]\d)(?:\d{0,2}(?:[,.]\d{3})+(?:[.,]\d+)?|\d*(?:[.,]\d+)?)"


_SCALE = r"(?:\s*(?P<scale>(?i:" + _alternation(_SCALES) + r"))\b)?"
# Currency codes are written in capitals; a pattern that starts with literals scans fast (the
# symbols too are alternatives: a character class among them would stop `re` skipping ahead).
_MONEY_PREFIX = re.compile(
    r"(?P<cur>US\$|U\.S\.\s?\$|USD|S\$|SGD|A\$|AU\$|AUD|JPY|EUR|THB|LAK|CNY|RMB|KRW|\$|¥|€|฿)"
    r"\s?(?P<num>" + _NUM + r")" + _SCALE
)
_MONEY_SUFFIX = re.compile(
    r"(?P<num>" + _num_not_after(r"\w.,") + r")" + _SCALE
    + r"\s*(?:(?:di|de|d')\s*)?(?P<cur>(?i:" + _alternation(_CUR_SUFFIX) + r"))\b"
)  # fmt: skip
_MEASURES = {
    "%": "pct", "percent": "pct", "per cent": "pct", "per cento": "pct", "pour cent": "pct",
    "hectares": "ha", "hectare": "ha", "ha": "ha", "km": "km", "kilometres": "km",
    "kilometers": "km", "kilometre": "km", "kilometer": "km", "megawatts": "mw",
    "megawatt": "mw", "mw": "mw", "kv": "kv", "kilovolt": "kv", "kilovolts": "kv",
    "kwh": "kwh", "tonnes": "t", "tons": "t", "tonne": "t", "months": "mo", "month": "mo",
    "mesi": "mo", "mois": "mo", "days": "d", "giorni": "d", "jours": "d", "weeks": "wk",
    "years": "yr", "year": "yr", "anni": "yr", "ans": "yr", "minutes": "min", "hours": "h",
}  # fmt: skip
_LATIN_NUMBER = re.compile(
    r"(?P<num>" + _num_not_after(r"\w.,$€¥£/-") + r")(?![\w/]|[.,]\d|-\d)" + _SCALE
    + r"(?:\s*-?\s*(?P<unit>" + _alternation(_MEASURES) + r")(?![\w]))?",
    re.IGNORECASE,
)  # fmt: skip
_ORDINAL = re.compile(r"(?P<num>\d(?<![\w.,]\d)\d{0,2})(?:st|nd|rd|th)\b")
_WORD_UNITS = _words(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
)
_WORD_TENS = _words("twenty thirty forty fifty sixty seventy eighty ninety")
_WORD_NUMBER = re.compile(
    r"\b(?P<tens>" + "|".join(_WORD_TENS) + r")(?:[- ](?P<unit>" + "|".join(_WORD_UNITS[:9])
    + r"))?\b|\b(?P<teen>" + "|".join(_WORD_UNITS[10:]) + r")\b",
    re.IGNORECASE,
)  # fmt: skip
# A fast test that lets the slow case-insensitive `_WORD_NUMBER` be skipped: a number word in
# the lowercased text (or an `_ODD_CASE` letter in the text).
_NUMBER_WORD = re.compile("|".join((*_WORD_TENS, *_WORD_UNITS[10:])))
_JA_UNITS = {
    "米ドル": "usd", "ドル": "usd", "円": "jpy", "キープ": "lak", "ユーロ": "eur", "バーツ": "thb",
    "元": "cny", "ウォン": "krw", "人": "n", "名": "n", "件": "n", "社": "n", "校": "n",
    "か所": "n", "カ所": "n", "ヵ所": "n", "ケ所": "n", "カ国": "n", "か国": "n", "ヵ国": "n",
    "ヶ国": "n", "村": "n", "台": "n", "基": "n", "棟": "n", "隻": "n", "発": "n", "団体": "n",
    "機関": "n", "ヘクタール": "ha", "キロメートル": "km", "キロ": "km", "メガワット": "mw",
    "キロワット時": "kwh", "キロボルト": "kv", "トン": "t", "%": "pct", "割": "pct10",
    "か月": "mo", "カ月": "mo", "ヶ月": "mo", "ヵ月": "mo", "日間": "d", "年間": "yr",
    "週間": "wk", "時間": "h", "分間": "min", "分": "min",
}  # fmt: skip
_JA_NUMBER = re.compile(
    r"(?P<num>(?:\d[\d,]*(?:\.\d+)?[兆億万千])*\d[\d,]*(?:\.\d+)?[兆億万千]?)"
    r"(?P<unit>" + _alternation(_JA_UNITS) + r")?"
)
_JA_MULT = {"兆": 1e12, "億": 1e8, "万": 1e4, "千": 1e3, "": 1.0}
_LO_SCALES = {_nf("ພັນ"): 1e3, _nf("ໝື່ນ"): 1e4, _nf("ແສນ"): 1e5, _nf("ລ້ານ"): 1e6, _nf("ຕື້"): 1e9}
_LO_UNITS = {
    _nf(k): v
    for k, v in {
        "ໂດລາສະຫະລັດ": "usd", "ໂດລາ ສະຫະລັດ": "usd", "ໂດລາ": "usd", "ເຢນ": "jpy", "ກີບ": "lak",
        "ບາດ": "thb", "ເອີໂຣ": "eur", "ຢວນ": "cny", "ເຮັກຕາ": "ha", "ກິໂລແມັດ": "km",
        "ກິໂລໂວນ": "kv", "ເມກາວັດ": "mw", "ເດືອນ": "mo", "ວັນ": "d", "ປີ": "yr",
        "ອາທິດ": "wk", "ໂຕນ": "t", "%": "pct", "ເປີເຊັນ": "pct",
    }.items()
}  # fmt: skip
_LO_ORDINAL = _nf("ທີ")  # ຄັ້ງທີ 4: the 4th
_LO_NUMBER = re.compile(
    r"(?P<num>" + _num_not_after(r"\d.,") + r")\s*(?P<scale>" + _alternation(_LO_SCALES) + r")?"
    r"\s*(?P<unit>" + _alternation(_LO_UNITS) + r")?"
)
_MONEY_UNITS = frozenset({"usd", "jpy", "lak", "eur", "thb", "sgd", "aud", "cny", "krw"})
_PHYSICAL = frozenset({"ha", "km", "mw", "kv", "kwh", "t", "pct"})
_COUNT_FLOOR = 10  # counts and durations up to this are too common to mean anything
_GROUPED = re.compile(r"\d{1,3}(?:([,.])\d{3})+")


def _number(text: str, comma_decimal: bool) -> float | None:
    """Parse "1,190,000", "3.9", "82.000" (Lao/Italian thousands), "3,4" (Lao decimal)."""
    grouped = _GROUPED.fullmatch(text)
    # Groups of three digits are thousands, except English "4.171 billion".
    if grouped and (comma_decimal or grouped.group(1) == ","):
        return float(re.sub(r"[,.]", "", text))
    if comma_decimal:
        text = text.replace(".", "").replace(",", ".") if "," in text else text
    else:
        text = text.replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None


def _fmt(value: float) -> str:
    if value == int(value):
        return str(int(value))
    return f"{value:.6g}"


def _is_year(raw: str, value: float) -> bool:
    return raw.isdigit() and len(raw) == 4 and 1900 <= value <= 2100


def _figure(unit: str, value: float) -> str | None:
    """The figure key, or None when the number is too common to be evidence."""
    if value <= 0:
        return None
    if unit == "pct10":
        unit, value = "pct", value * 10
    if unit not in _MONEY_UNITS and unit not in _PHYSICAL and value <= _COUNT_FLOOR:
        return None
    return f"{unit}:{_fmt(float(f'{value:.6g}'))}"


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(s < span[1] and span[0] < e for s, e in spans)


def _find_figures(text: str, lang: str) -> set[str]:
    """Figures in a text whose dates are already masked out."""
    comma_decimal = lang not in ("en", "ja")
    out: set[str] = set()
    spans: list[tuple[int, int]] = []
    for rx, table in ((_MONEY_PREFIX, _CUR_PREFIX), (_MONEY_SUFFIX, _CUR_SUFFIX)):
        for m in rx.finditer(text):
            value = _number(m.group("num"), comma_decimal and rx is _MONEY_SUFFIX)
            written = " ".join(m.group("cur").lower().split())  # "US  dollars", "U.S. $"
            cur = table.get(written) or table.get(written.replace(" ", ""))
            glued = m.start() > 0 and text[m.start() - 1].isalpha()  # "BUS$" is no currency
            if value is None or cur is None or glued or _overlaps(m.span(), spans):
                continue
            value *= _SCALES.get((m.group("scale") or "").lower(), 1.0)
            if (key := _figure(cur, value)) is not None:
                out.add(key)
            spans.append(m.span())
    text = _mask(text, spans)
    if lang == "ja":
        out |= _ja_figures(text)
    elif lang == "lo":
        lao, spans = _lo_figures(text)
        out |= lao
        text = _mask(text, spans)
    out |= _latin_figures(text, comma_decimal)
    return out


def _latin_figures(text: str, comma_decimal: bool) -> set[str]:
    out: set[str] = set()
    for m in _ORDINAL.finditer(text):
        if int(m.group("num")) > _COUNT_FLOOR:
            out.add(f"ord:{int(m.group('num'))}")
    for m in _LATIN_NUMBER.finditer(text):
        raw = m.group("num")
        value = _number(raw, comma_decimal)
        if value is None or (_is_year(raw, value) and not m.group("scale")):
            continue
        value *= _SCALES.get((m.group("scale") or "").lower(), 1.0)
        unit = _MEASURES.get(re.sub(r"\s+", " ", (m.group("unit") or "").lower()), "n")
        if (key := _figure(unit, value)) is not None:
            out.add(key)
    lowered = text.lower()
    if not any(w in lowered for w in ("ty", "teen", "eleven", "twelve")):
        return out
    if not _NUMBER_WORD.search(lowered) and not _ODD_CASE.search(text):
        return out
    for m in _WORD_NUMBER.finditer(text):
        if m.group("teen"):
            value = 11 + _WORD_UNITS[10:].index(m.group("teen").lower())
        else:
            value = 20 + 10 * _WORD_TENS.index(m.group("tens").lower())
            if m.group("unit"):
                value += 1 + _WORD_UNITS.index(m.group("unit").lower())
        out.add(f"n:{value}")
    return out


def _ja_figures(text: str) -> set[str]:
    out: set[str] = set()
    for m in _JA_NUMBER.finditer(text):
        value = 0.0
        for num, mult in re.findall(r"(\d[\d,]*(?:\.\d+)?)([兆億万千]?)", m.group("num")):
            value += float(num.replace(",", "")) * _JA_MULT[mult]
        unit = _JA_UNITS.get(m.group("unit") or "")
        if m.start() > 0 and text[m.start() - 1] == "第":  # 第17回: the 17th
            unit = "ord"
        elif unit is None:
            if not re.search(r"[兆億万千]", m.group("num")):
                continue  # a bare number in Japanese is a year, a date part or a code
            unit = "n"
        if unit == "ord":
            if value > _COUNT_FLOOR:
                out.add(f"ord:{_fmt(value)}")
        elif (key := _figure(unit, value)) is not None:
            out.add(key)
    return out


def _lo_figures(text: str) -> tuple[set[str], list[tuple[int, int]]]:
    """Figures in Lao text, and the spans read (not to be read again as Latin numbers)."""
    out: set[str] = set()
    spans: list[tuple[int, int]] = []
    for m in _LO_NUMBER.finditer(text):
        spans.append(m.span())
        raw = m.group("num")
        value = _number(raw, comma_decimal=True)
        if value is None:
            continue
        if text[max(0, m.start() - 4) : m.start()].rstrip().endswith(_LO_ORDINAL):
            if value > _COUNT_FLOOR:
                out.add(f"ord:{_fmt(value)}")
            continue
        if _is_year(raw, value) and not m.group("scale"):
            continue
        value *= _LO_SCALES.get(m.group("scale") or "", 1.0)
        unit = _LO_UNITS.get(m.group("unit") or "", "n")
        if (key := _figure(unit, value)) is not None:
            out.add(key)
    return out, spans


def _split_figure(key: str) -> tuple[str, float]:
    unit, _, value = key.partition(":")
    return unit, float(value)


def _significant(value: float) -> int:
    """Significant digits: 5,000,000 has 1, 3,900,000 has 2, 4,171,000,000 has 4."""
    mantissa = f"{value:.5e}".split("e")[0].replace(".", "").rstrip("0")
    return max(1, len(mantissa))


def _rounded(value: float) -> str:
    """Two significant digits: the anchor tolerates "4.17 billion" vs "41億7100万"."""
    if value <= 0:
        return "0"
    mantissa, exp = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exp)}"


# --------------------------------------------------------------------------------------------
# Names

# Capitalised words that are not names of anything specific (titles, institutions' generic
# parts, countries and the two parties, calendar words, sentence openers).
_GENERIC = frozenset(
    _words(
        """
        japan japanese japon japonais giappone giapponese nippon laos lao laotian laotien laotienne
        laotiani vientiane tokyo pdr asean asia asian pacific east west south north southeast
        china chinese thailand thai vietnam vietnamese viet nam cambodia cambodian korea korean
        india indian us usa u.s. united states america american russia russian ukraine ukrainian
        myanmar philippines philippine indonesia indonesian malaysia malaysian singapore brunei
        australia australian taiwan eu europe european un uk britain british france french italy
        italian germany german palestine palestinian mekong indo-pacific
        january february march april may june july august september october november december
        jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
        saturday sunday today yesterday tomorrow
        minister ministers ministry prime deputy vice president vice-president vice-minister
        ambassador ambassadors embassy government governments state secretary general director
        chairman chair chairperson head chief senior officer officials official spokesperson
        spokesman governor mayor mr ms mrs dr madam his her majesty highness imperial emperor
        empress princess prince king queen crown royal excellency
        department office agency committee commission council authority centre center institute
        university school college hospital company corporation group association federation
        foundation programme program project plan fund partnership strategic comprehensive joint
        statement declaration summit meeting meetings conference forum dialogue consultation
        session ceremony annual national international regional global economic social
        development cooperation co-operation friendship relations diplomatic foreign affairs
        public works transport education sports sport health agriculture forestry energy mines
        finance planning investment justice defence defense security labour labor welfare
        information culture tourism industry commerce trade natural resources environment home
        interior science technology communications post people's peoples people republic
        democratic party central province provincial district capital city village prefecture
        river road route bridge airport special zone day year week times news press daily
        assembly house parliament parliamentary court supreme chamber commerce bank grant grants
        aid assistance loan agreement memorandum notes exchange signing visit official working
        first second third new former world international-cooperation zero emission community
        volunteers volunteer students student scholarship scholarships youth women children
        ministerial vice-ministerial high-level level standing leaders leader members member
        the a an in on at for with this that these those it he she they we our their its after
        before during over under about as by from to of and but also both each since while when
        meanwhile however according under-secretary there here other some many more most all
        million billion thousand trillion seas sea socio-economic pm pms premier jr annex corridor
        permanent army force forces league councillors presidents projects goals sustainable law
        laws economy visa football household police strategy overseas human english monitor
        greater subregion pavilion railway envoy charter peninsula crime drugs system mechanism
        management secretariat procedure contest speech emergency response team assessment private
        sector disaster war cup games airlines ground self-defense highways palace presidential
        promotion review resource technical training market power water service services point
        points consensus
        """
    )
)
# Titles and forms of address: a run of capitalised words is split at them.
_TITLE_WORDS = frozenset(
    _words(
        """
        minister ministers deputy vice president vice-president vice-minister ambassador secretary
        general director director-general chairman chair chairperson head chief governor mayor mr
        ms mrs dr madam his her majesty highness emperor empress princess prince king queen
        excellency premier pm spokesperson spokesman officer officials official senior prime
        foreign vice-governor
        """
    )
)
# Acronyms that appear in most Japan-Laos stories of their kind: too common to be evidence.
_COMMON_ACRONYMS = frozenset(
    _words(
        """
        asean un us usa uk eu pdr lpdr pm fm mou moc oda sez ngo ngos gdp ceo covid covid-19 sdg
        sdgs usd jpy lak eur thb afp kpl vna nhk ap mofa jica uxo jds jetro jocv azec who unicef
        undp adb wfp mrc nsedp csp jcm ha/dr hadr lprp ldp nra ict
        """
    )
)
_LOW_ACRONYMS = frozenset(_words("jica uxo jds jetro jocv azec who unicef undp adb wfp mrc jcm"))

# A small gazetteer, in every script, so that a Japanese or Lao report can agree with an
# English one. Keys start with "=". _ACTORS appear in a large share of Japan-Laos stories: weak
# evidence and never an anchor. _ENTITIES (imperial family, provinces, a landmark venue) are
# moderate evidence and anchors.
_ACTORS: dict[str, tuple[str, ...]] = {
    "=sonexay": ("sonexay", "sonxay", "ソーネサイ", "ソンサイ", "ソーンサイ", "ສອນໄຊ"),
    "=thongloun": ("thongloun", "トンルン", "ທອງລຸນ"),
    "=saleumxay": ("saleumxay", "サルムサイ", "サルンサイ", "ສະເຫຼີມໄຊ", "ສະເຫລີມໄຊ"),
    "=thongsavanh": ("thongsavanh", "トンサワン", "ທອງສະຫວັນ"),
    "=phankham": ("phankham", "パンカム", "ພັນຄຳ"),
    "=phoxay": ("phoxay", "ポーサイ"),
    "=ishiba": ("ishiba", "石破", "ອິຊິບະ"),
    "=kishida": ("kishida", "岸田", "ຄິຊິດະ"),
    "=takaichi": ("takaichi", "高市"),
    "=iwaya": ("iwaya", "岩屋"),
    "=kamikawa": ("kamikawa", "上川"),
    "=motegi": ("motegi", "茂木"),
    "=hayashi": ("hayashi", "林外務大臣", "林大臣"),
    "=abe": ("abe", "安倍"),
}
_ENTITIES: dict[str, tuple[str, ...]] = {
    "=aiko": ("aiko", "愛子"),
    "=kako": ("kako", "佳子"),
    "=naruhito": ("naruhito", "ນາຣຸຮິໂຕະ"),
    "=luang-prabang": (
        "luang prabang",
        "ルアンパバーン",
        "ルアンプラバン",
        "ຫຼວງພະບາງ",
        "ຫລວງພະບາງ",
    ),
    "=savannakhet": ("savannakhet", "サバナケット", "サワンナケート", "ສະຫວັນນະເຂດ"),
    "=champasak": ("champasak", "champassak", "チャンパサック", "チャンパーサック", "ຈຳປາສັກ"),
    "=xieng-khouang": ("xieng khouang", "xieng khuang", "シエンクワン", "ຊຽງຂວາງ"),
    "=attapeu": ("attapeu", "attapue", "アッタプー", "ອັດຕະປື"),
    "=luang-namtha": ("luang namtha", "ルアンナムター", "ຫຼວງນ້ຳທາ", "ຫລວງນ້ຳທາ"),
    "=bokeo": ("bokeo", "ボケオ", "ບໍ່ແກ້ວ"),
    "=oudomxay": ("oudomxay", "oudomxai", "ウドムサイ", "ອຸດົມໄຊ"),
    "=bolikhamxay": ("bolikhamxay", "borikhamxay", "bolikhamsai", "ボーリカムサイ", "ບໍລິຄຳໄຊ"),
    "=salavan": ("salavan", "saravan", "saravane", "サラワン", "ສາລະວັນ"),
    "=sekong": ("sekong", "セコン", "ເຊກອງ"),
    "=phongsaly": ("phongsaly", "phongsali", "ポンサリー", "ຜົ້ງສາລີ"),
    "=khammouane": ("khammouane", "khammuan", "khammouan", "カムアン", "ຄຳມ່ວນ"),
    "=houaphanh": ("houaphanh", "huaphan", "houaphan", "フアパン", "ຫົວພັນ"),
    "=xayaboury": ("xayaboury", "xayabouly", "sayaboury", "サイニャブリー", "ໄຊຍະບູລີ"),
    "=xaysomboun": ("xaysomboun", "サイソムブン", "ໄຊສົມບູນ"),
    "=chao-anouvong": ("chao anouvong", "チャオアヌウォン", "チャオ・アヌウォン", "ເຈົ້າອານຸວົງ"),
}


def _gazetteer() -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Latin aliases (lowercase token sequences) and non-Latin substrings, to entity keys."""
    latin: dict[str, str] = {}
    other: list[tuple[str, str]] = []
    for key, aliases in (*_ACTORS.items(), *_ENTITIES.items()):
        for alias in aliases:
            if alias.isascii():
                latin[alias] = key
            else:
                other.append((_nf(alias), key))
    return latin, other


_LATIN_ENTITIES, _SCRIPT_ENTITIES = _gazetteer()
_LATIN_ENTITY_MAX = max(len(a.split()) for a in _LATIN_ENTITIES)
_LATIN = "A-Za-z\u00c0-\u024f"
_WORD = re.compile(rf"[{_LATIN}0-9](?:[{_LATIN}0-9'.&-]*[{_LATIN}0-9])?")
_CONNECTORS = frozenset({"of", "no", "de", "du", "des", "la", "le", "di", "del", "della", "von"})
_KATAKANA = re.compile(r"[\u30A1-\u30FA\u30FC][\u30A1-\u30FA\u30FB\u30FC]{2,}")
_KATAKANA_GENERIC = frozenset(
    _words(
        """
        ラオス ビエンチャン ヴィエンチャン アセアン メコン プロジェクト センター システム プログラム
        パートナーシップ セミナー ワークショップ ネットワーク サービス イベント ビジネス メッセージ
        コミュニティ エネルギー インフラ スポーツ ウクライナ ロシア アメリカ タイ ベトナム
        カンボジア ミャンマー フィリピン インドネシア マレーシア シンガポール インド オーストラリア
        ヨーロッパ アジア パレスチナ ガザ ナショナルデー ビザ パスポート メンバー リーダー レベル
        スタジアム ミサイル クレジット モデル ターミナル コーヒー チェーン シンポジウム パートナーズ
        トラブル ウイルス メーカー クリーン バイオマス クラスター キロワット サポート ニーズ データ
        """
    )
)
# A kanji name just before a title: 岩屋外務大臣, 津島淳法務副大臣, 引原毅駐ラオス大使.
_JA_TITLED_NAME = re.compile(
    r"(?<![\u4E00-\u9FFF])(?![副兼同両各全本当首次前元新])(?P<name>[\u4E00-\u9FFF]{2,4}?)"
    r"(?:外務|法務|財務|防衛|経済産業|国土交通|文部科学|厚生労働|農林水産|環境|総務|内閣府|駐ラオス|駐日)?"
    r"(?:総理大臣|大臣|副大臣|外相|総理|首相|大使|議長|長官|政務官|会長|社長|理事長|知事|氏)"
)
_JA_TITLE_WORDS = frozenset(
    _words("日本 政府 外務 首脳 両国 両外相 同国 同氏 ラオス 本日 今回 前回")
)
# ທ່ານ (Mr/Ms) before a given name and a family name; after a number it is a classifier
# ("25 ທ່ານ": 25 persons).
_LO_MR = re.compile(
    r"(?<!\d)(?<!\d\s)" + _nf("ທ່ານ") + r"\s*(?:" + _nf("ນາງ") + r"\s*)?"
    r"(?P<a>[\u0E80-\u0EFF]{2,12})\s+(?P<b>[\u0E80-\u0EFF]{2,12})(?![\u0E80-\u0EFF])"
)
# Words that start a title or a clause, not a name, after ທ່ານ.
_LO_NAME_STOP = _words(
    "ນາຍົກ ລັດຖະມົນຕີ ປະທານ ຮອງ ເອກອັກຄະລັດຖະທູດ ທູດ ແລະ ໄດ້ ຈະ ຍັງ ກໍ ທີ່ ຈາກ ເປັນ ຢູ່ ໃນ "
    "ຂອງ ກ່າວ ເຈົ້າ ຫົວໜ້າ ຜູ້ ສະມາຊິກ ນັກ ພະນັກງານ ກຳມະການ ເລຂາ"
)
_TITLE_CASE_RATIO = 0.6


def _is_title_case(title: str) -> bool:
    words = [w for w in _WORD.findall(title) if len(w) >= 4 and w[0].isalpha()]
    return bool(words) and sum(w[0].isupper() for w in words) / len(words) >= _TITLE_CASE_RATIO


def _strip_possessive(word: str) -> str:
    for suffix in ("'s", "'"):
        if word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _char_class(chars: Iterable[str]) -> str:
    """A regex character class body for these characters, as ranges of consecutive code
    points."""
    points = sorted({ord(c) for c in chars})
    out: list[str] = []
    i = 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and points[j + 1] == points[j] + 1:
            j += 1
        out.append(re.escape(chr(points[i])) + ("-" + re.escape(chr(points[j])) if j > i else ""))
        i = j + 1
    return "".join(out)


# `_WORD` tokens, spelled out for `_CAPITAL_REGION`: a token starts at the first letter or digit
# of a stretch of these characters and ends at the last one.
_TOKEN_CHARS = f"{_LATIN}0-9'.&-"
_TOKEN_TAIL = rf"(?:[{_TOKEN_CHARS}]*[{_LATIN}0-9])?"
_UPPER = _char_class(
    c
    for c in map(chr, [*range(0x41, 0x5B), *range(0x61, 0x7B), *range(0xC0, 0x250)])
    if c.isupper()
)  # the letters of _LATIN for which str.isupper() holds
# A stretch of whitespace-separated (so adjacent) tokens that starts with a capitalised token
# and goes on with capitalised tokens and connectors: `_capital_runs` reads words only here.
# The connector alternative may also take a few tokens that are not connectors ("deſ"):
# `_capital_runs` treats them as the plain words they are.
_CAPITAL_REGION = re.compile(
    rf"(?<![{_TOKEN_CHARS}])['.&-]*(?P<run>[{_UPPER}]{_TOKEN_TAIL}(?:\s+(?:[{_UPPER}]{_TOKEN_TAIL}"
    rf"|(?i:{_alternation(_CONNECTORS)})(?:'s)?(?![{_TOKEN_CHARS}]*[{_LATIN}0-9])))*)"
)


def _name_parts(sentence: str) -> Iterator[tuple[bool, tuple[str, ...]]]:
    """The parts (`_segments`) of the runs of capitalised words in a sentence: (whether the part
    is a run that opens the sentence, its words).

    Only the regions `_CAPITAL_REGION` finds are read word by word: a run never crosses a
    lowercase word or a gap other than whitespace, and a region ends at exactly those."""
    first = -1  # where the sentence's first word starts, once a region is found
    for m in _CAPITAL_REGION.finditer(sentence):
        if first < 0:
            word = _WORD.search(sentence)
            first = word.start() if word else 0
        yield from _region_parts(m.group("run"), m.start("run") == first)


@lru_cache(maxsize=16384)
def _region_parts(region: str, opens: bool) -> tuple[tuple[bool, tuple[str, ...]], ...]:
    """`_name_parts` of one region (they recur: "Prime Minister Sonexay Siphandone")."""
    return tuple(
        (start and i == 0, tuple(part))
        for start, words in _capital_runs(region.split(), opens=opens)
        for i, part in _segments(words)
    )


def _capital_runs(tokens: list[str], *, opens: bool) -> Iterator[tuple[bool, list[str]]]:
    """Runs of adjacent capitalised words, "of"/"no"/"de" allowed inside, among adjacent
    tokens: (whether the run opens the sentence, its words). `opens`: the first token opens
    the sentence."""
    run: list[str] = []
    pending: list[str] = []
    start = False
    for i, token in enumerate(tokens):
        word = _strip_possessive(token)
        lower = word.lower()
        if word[0].isupper() and lower not in _CONNECTORS:
            if run:
                run.extend(pending)
                run.append(word)
            else:
                run, start = [word], opens and i == 0
            pending = []
        elif run and not pending and lower in _CONNECTORS:
            pending = [word]
        else:
            if run:
                yield start, run
            run, pending = [], []
    if run:
        yield start, run


def _generic_word(word: str) -> bool:
    """A title, an institution's generic part, a country, a common acronym; "Lao-Japan" too."""
    w = word.lower()
    if w in _LOW_ACRONYMS:
        return False
    if w in _GENERIC or w in _COMMON_ACRONYMS:
        return True
    parts = w.split("-")
    return len(parts) > 1 and all(p in _GENERIC or p in _COMMON_ACRONYMS for p in parts)


def _latin_names(title: str, sentences: list[str]) -> set[str]:
    """Proper names in Latin script (a Title Case headline is skipped: every word is capitalised
    there)."""
    if title and not _is_title_case(title):
        sentences = [title, *sentences]
    runs = [part for s in sentences for part in _name_parts(s)]
    inner = {w for start, words in runs if not start for w in words}
    names: set[str] = set()
    for start, words in runs:
        if start and len(words) == 1 and words[0] not in inner:
            continue  # "Officials said ...": capitalised only because it opens the sentence
        names |= _entity_keys(words)
    return names


def _segments(words: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Split a run at titles ("AJC Secretary General Kunihiko Hirabayashi" -> "AJC", "Kunihiko
    Hirabayashi") and trim generic words and connectors at the edges of each part ("China
    Southern Power Grid" -> "Southern Power Grid"): (index of the part's first word, part)."""
    part: list[tuple[int, str]] = []
    for i, word in enumerate([*words, ""]):
        if word and word.lower() not in _TITLE_WORDS:
            part.append((i, word))
            continue
        while part and (_generic_word(part[0][1]) or part[0][1].lower() in _CONNECTORS):
            part.pop(0)
        while part and (_generic_word(part[-1][1]) or part[-1][1].lower() in _CONNECTORS):
            part.pop()
        if part:
            yield part[0][0], [w for _, w in part]
        part = []


@lru_cache(maxsize=16384)
def _entity_keys(words: tuple[str, ...]) -> frozenset[str]:
    """The gazetteer entities in a run of words ("Sonexay Siphandone" is "=sonexay"), else the
    run itself as one lowercase key."""
    lower = [w.lower() for w in words]
    keys = frozenset(
        entity
        for i in range(len(lower))
        for n in range(1, min(_LATIN_ENTITY_MAX, len(lower) - i) + 1)
        if (entity := _LATIN_ENTITIES.get(" ".join(lower[i : i + n])))
    )
    if keys:
        return keys
    if all(_generic_word(w) or w in _CONNECTORS for w in lower):
        return frozenset()
    if 2 <= len(lower) <= 3 and not any(w in _CONNECTORS for w in lower):
        lower = sorted(lower)  # "Kobayashi Kenichi" and "Kenichi Kobayashi" are one person
    key = " ".join(lower)
    if key in _COMMON_ACRONYMS and key not in _LOW_ACRONYMS:
        return frozenset()
    if len(lower) == 1 and _WORDISH.search(key) and not words[0].isupper():
        return frozenset()  # "Advancement", "Farmers": a capitalised common word, not a name
    return frozenset({key}) if len(key) >= 3 else frozenset()


# Endings of English common nouns and adjectives; proper names rarely have them.
_WORDISH = re.compile(
    r"(?:tion|sion|ment|ness|ity|ance|ence|ing|ship|ism|ive|ous|ary|ery|ory|ers|ies|ists?|ics|"
    r"al|ed|ly)$"
)


def _script_names(text: str, lang: str) -> set[str]:
    """Katakana runs, kanji names before a title, Lao names after ທ່ານ, gazetteer entities."""
    names = {key for alias, key in _SCRIPT_ENTITIES if alias in text}
    script_aliases = [alias for alias, _ in _SCRIPT_ENTITIES]
    for m in _KATAKANA.finditer(text):
        run = m.group().strip("・")
        if run in _KATAKANA_GENERIC or run in _JA_UNITS or len(run) < 3:
            continue
        if any(alias in run or run in alias for alias in script_aliases):
            continue
        names.add(run)
    if lang == "ja":
        for m in _JA_TITLED_NAME.finditer(text):
            name = m.group("name")
            if name not in _JA_TITLE_WORDS and not any(a in name for a in script_aliases):
                names.add(name)
    if lang == "lo":
        for m in _LO_MR.finditer(text):
            name = f"{m.group('a')} {m.group('b')}"
            if not m.group("a").startswith(_LO_NAME_STOP) and not any(
                a in name for a in script_aliases
            ):
                names.add(name)
    return names


@lru_cache(maxsize=16384)
def _name_weight(key: str) -> float:
    """Rarer, longer names weigh more; people in most stories and common acronyms less."""
    if key in _ACTORS:
        return 0.35
    if key in _ENTITIES:
        return 0.6
    if key in _LOW_ACRONYMS:
        return 0.25
    if key.isascii():
        tokens = [t for t in re.split(r"[\s-]+", key) if t not in _GENERIC and t not in _CONNECTORS]
        if len(tokens) >= 2:
            return 1.3
        return 0.5 + 0.1 * min(max(len(max(tokens, key=len, default=key)) - 4, 0), 5)
    if "・" in key or " " in key:
        return 1.2
    if re.fullmatch(r"[\u4E00-\u9FFF]+", key):
        return 0.9
    return 0.4 + 0.1 * min(max(len(key) - 3, 0), 4)


@lru_cache(maxsize=16384)
def _name_tokens(key: str) -> frozenset[str]:
    """Distinctive parts of a multi-word name, to match "Blinken" with "Antony Blinken" (or a
    katakana surname with the full name)."""
    if key.startswith("="):
        return frozenset()
    if not key.isascii():
        parts = key.split("・") if "・" in key else key.split(" ")
        return frozenset(p for p in parts if len(p) >= 3) if len(parts) > 1 else frozenset()
    return frozenset(
        t
        for t in re.split(r"[\s-]+", key)
        if len(t) >= 5
        and t not in _GENERIC
        and t not in _COMMON_ACRONYMS
        and not _WORDISH.search(t)
    )


# --------------------------------------------------------------------------------------------
# Same-language terms

_STOPWORDS = frozenset(
    _words(
        """
        the and for with that this from have has had was were will would been being are its their
        his her they them said says also more than into over about after before under which who
        whom what when where while other such some most many all any both each two three four
        five six seven eight nine ten one new first year years month months day days week
        japan japanese laos lao laotian vientiane government minister ministry country countries
        side sides two support cooperation project projects between said per cent percent
        """
    )
)
_LATIN_WORD = re.compile(r"[^\W\d_]{3,}")
_CJK_RUN = re.compile(r"[\u4E00-\u9FFF\u30A1-\u30FA\u30FC0-9A-Za-z]{2,}")
_LAO_RUN = re.compile(r"[\u0E80-\u0EFF]+")


def _terms(title: str, text: str, lang: str) -> frozenset[str]:
    """Words (Latin scripts), kanji/katakana bigrams (Japanese) or character trigrams (Lao)."""
    whole = f"{title}\n{text}"
    if lang == "ja":
        runs = _CJK_RUN.findall(whole)
        return _first_distinct(run[i : i + 2] for run in runs for i in range(len(run) - 1))
    if lang == "lo":
        joined = "".join(_LAO_RUN.findall(whole))
        return _first_distinct(joined[i : i + 3] for i in range(len(joined) - 2))
    words = dict.fromkeys(_LATIN_WORD.findall(whole.lower()))  # distinct, in text order
    if len(words) <= _MAX_TERMS:
        return frozenset(words.keys() - _STOPWORDS)
    return frozenset(islice((w for w in words if w not in _STOPWORDS), _MAX_TERMS))


def _first_distinct(terms: Iterable[str]) -> frozenset[str]:
    """The first `_MAX_TERMS` distinct terms."""
    seen: dict[str, None] = {}
    for t in terms:
        seen[t] = None
        if len(seen) >= _MAX_TERMS:
            break
    return frozenset(seen)


# --------------------------------------------------------------------------------------------
# The signature


@dataclass(frozen=True)
class EventSignature:
    """What an article says about its event, compact enough to store with the article."""

    day: int | None  # publication date as date.toordinal(); None when unknown
    lang: str
    figures: frozenset[str]  # "usd:5000000", "jpy:4170000000", "n:47", "pct:85", "ha:300"
    names: frozenset[str]  # lowercase Latin names, katakana/kanji/Lao names, "=entity" keys
    dates: frozenset[str]  # "2025-01-22", "--01-22" (year implicit), "---10", "2025-11", "--11"
    commitments: frozenset[str]
    lead_dates: frozenset[str] = frozenset()  # dates of the first sentence that has any
    terms: frozenset[str] = frozenset()  # same-language overlap only

    def anchors(self) -> set[str]:
        """Keys for the candidate index: specific figures, dates and names, never generic
        words (those never become names) nor the weak people-in-every-story entities."""
        return set(self._anchors)

    @cached_property
    def _anchors(self) -> frozenset[str]:
        out: set[str] = set()
        for unit, value in self._figures:
            if unit in _MONEY_UNITS:
                out.add(f"f:{unit}:{_rounded(value)}")
            elif unit != "ord":
                out.add(f"f:{unit}:{_fmt(value)}")
        for d in self._dates:
            if _specific(d):
                out.add(f"d:{d.month:02d}-{d.day:02d}")
        for name in self.names:
            if name in _ACTORS or name in _LOW_ACRONYMS:
                continue
            if name.startswith("=") or len(name) >= 4 or not name.isascii():
                out.add(f"n:{name}")
            out.update(f"n:{t}" for t in _name_tokens(name))
        return frozenset(out)

    @cached_property
    def _figures(self) -> tuple[tuple[str, float], ...]:
        return tuple(_split_figure(f) for f in sorted(self.figures))

    @cached_property
    def _by_unit(self) -> dict[str, tuple[float, ...]]:
        """The figures' values by unit, in `_figures` order."""
        out: dict[str, list[float]] = {}
        for unit, value in self._figures:
            out.setdefault(unit, []).append(value)
        return {unit: tuple(values) for unit, values in out.items()}

    @cached_property
    def _dates(self) -> tuple[_Date, ...]:
        return tuple(_Date.parse(d) for d in sorted(self.dates))

    @cached_property
    def _days(self) -> tuple[_Date, ...]:
        return tuple(d for d in self._dates if d.day is not None)

    @cached_property
    def _specific_day(self) -> bool:
        return any(map(_specific, self._days))

    @cached_property
    def _months(self) -> tuple[_Date, ...]:
        return tuple(d for d in self._dates if d.month is not None)

    @cached_property
    def _lead(self) -> tuple[_Date, ...]:
        return tuple(_Date.parse(d) for d in sorted(self.lead_dates))

    @cached_property
    def _actors(self) -> frozenset[str]:
        return frozenset(n for n in self.names if n in _ACTORS)

    @cached_property
    def _latin(self) -> frozenset[str]:
        """Latin-script names specific enough to expect a rewrite to repeat one of them."""
        return frozenset(
            n for n in self.names if n.isascii() and n[0] != "=" and n not in _LOW_ACRONYMS
        )

    @cached_property
    def _tokens(self) -> frozenset[str]:
        return frozenset(t for n in self.names for t in _name_tokens(n))

    def to_json(self) -> dict[str, Any]:
        return {
            "v": SIGNATURE_VERSION,
            "day": self.day,
            "lang": self.lang,
            "figures": sorted(self.figures),
            "names": sorted(self.names),
            "dates": sorted(self.dates),
            "lead_dates": sorted(self.lead_dates),
            "commitments": sorted(self.commitments),
            "terms": sorted(self.terms),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EventSignature:
        """Read what `to_json` wrote (a stored JSON column; unknown keys are ignored)."""
        return cls(
            day=data.get("day"),
            lang=data.get("lang", ""),
            figures=frozenset(data.get("figures", ())),
            names=frozenset(data.get("names", ())),
            dates=frozenset(data.get("dates", ())),
            commitments=frozenset(data.get("commitments", ())),
            lead_dates=frozenset(data.get("lead_dates", ())),
            terms=frozenset(data.get("terms", ())),
        )


def event_signature(
    title: str,
    text: str,
    *,
    lang: str,
    published: date | None,
    commitments: Iterable[str] = (),
) -> EventSignature:
    """The signature of one article. `commitments` are the keys the matcher found."""
    title, text = _nf(title or ""), _nf(text or "")
    lang = (lang or "").lower()[:2]
    sentences = _sentences(text)
    found_dates: list[_Date] = []
    lead: list[_Date] = []
    undated: list[str] = []  # the pieces with their dates blanked, for the figures
    for piece in (title, *sentences):
        found = _find_dates(piece, lang)
        dates = [_resolve(d, published) for _, d in found.dates]
        found_dates.extend(dates)
        if not lead and any(d.day is not None for d in dates):
            lead = [d for d in dates if d.day is not None]
        undated.append(_mask(piece, found.spans) if found.spans else piece)
    names = _latin_names(title, sentences) | _script_names(f"{title}\n{text}", lang)
    return EventSignature(
        day=published.toordinal() if published else None,
        lang=lang,
        figures=frozenset(_find_figures("\n".join(undated), lang)),
        names=frozenset(names),
        dates=frozenset(d.key for d in found_dates),
        commitments=frozenset(commitments),
        lead_dates=frozenset(d.key for d in lead),
        terms=_terms(title, text, lang),
    )


# --------------------------------------------------------------------------------------------
# The pair score


def _diminishing(weights: list[float], cap: float) -> float:
    """Sum the strongest first, each further one counting less."""
    if not weights:
        return min(0.0, cap)
    ordered = sorted(weights, reverse=True)
    total = 0.0
    for w, factor in zip(ordered, (1.0, 0.7, 0.5), strict=False):
        total += w * factor
    for w in ordered[3:]:
        total += w * 0.4
    return min(total, cap)


def _publication_score(a: EventSignature, b: EventSignature) -> float:
    if a.day is None or b.day is None:
        return 0.0
    gap = abs(a.day - b.day)
    return 0.8 if gap <= 1 else 0.5 if gap <= 3 else 0.25


def _any_compatible(xs: Iterable[_Date], ys: Iterable[_Date]) -> _Date | None:
    ys = tuple(ys)
    for x in xs:
        for y in ys:
            if _compatible(x, y):
                return x if _specific(x) else y
    return None


def _date_score(a: EventSignature, b: EventSignature) -> tuple[float, bool]:
    """(score, hard agreement). Lead dates agreeing is strong; both sides naming event days
    with none in common is evidence of two events."""
    da, db = a._days, b._days
    if da and db:
        both_specific = a._specific_day and b._specific_day
        hit = _any_compatible(a._lead, b._lead)
        if hit is not None:
            return (2.5, True) if _specific(hit) and both_specific else (1.0, True)
        if _any_compatible(da, db) is not None:
            # Only a date one report mentions in passing agrees: the 22 Nov return recalls the
            # 18 Nov courtesy call, a summit report the day a visa rule takes effect.
            return -1.0, False
        return (-_CONTRADICTION, False) if both_specific else (-1.0, False)
    months_a, months_b = a._months, b._months
    if months_a and months_b and _any_compatible(months_a, months_b) is not None:
        return 0.3, False
    return 0.0, False


def _near(v: float, others: tuple[float, ...], tolerance: float) -> bool:
    """Some value within `tolerance` of `v`, relative to the larger: abs(v - o) <= tolerance *
    max(v, o). A plain loop with max() written out: this runs for every pair of figures of a
    unit, and any() over a generator costs more than the comparisons."""
    for o in others:  # noqa: SIM110
        if abs(v - o) <= tolerance * (o if o > v else v):
            return True
    return False


def _shared_figures(unit: str, xs: tuple[float, ...], ys: tuple[float, ...]) -> list[float]:
    """The values of `xs` that `ys` has too: amounts and measures within 1.5%, counts exactly."""
    if unit in _MONEY_UNITS or unit in _PHYSICAL:
        return [x for x in xs if _near(x, ys, 0.015)]
    return [x for x in xs if x in ys]


@lru_cache(maxsize=16384)
def _figure_weight(unit: str, value: float) -> float:
    sig = _significant(value)
    if unit in _MONEY_UNITS:
        return 1.3 + 0.3 * min(sig, 3)
    if unit == "ord":
        return 0.3
    if unit in ("d", "mo", "yr", "wk", "h", "min"):
        return 0.5
    return 0.6 + 0.2 * min(sig, 3) + (0.2 if value >= 100 else 0.0)


def _money_conflict(xs: tuple[float, ...], ys: tuple[float, ...], shared: bool) -> float:
    """Amounts of one currency that each side has and the other lacks: two grants, not one
    (a shared background total such as "US$66 million over 20 years" does not outweigh it)."""
    if all(_near(x, ys, 0.1) for x in xs) or all(_near(y, xs, 0.1) for y in ys):
        return 0.0
    if not shared and len(xs) == len(ys) == 1:
        return _CONTRADICTION  # each side's one amount of this currency: headlines differ
    return 1.0


def _figure_score(a: EventSignature, b: EventSignature) -> tuple[float, bool, bool]:
    """(score, hard agreement, contradiction: the one amount each side gives differs)."""
    by_unit_a, by_unit_b = a._by_unit, b._by_unit
    weights: list[float] = []
    penalty = 0.0
    contradiction = False
    for unit, xs in by_unit_a.items():  # the order of units does not change the sums
        ys = by_unit_b.get(unit)
        if ys is None:
            continue
        shared = _shared_figures(unit, xs, ys)
        if shared:
            weights.extend([_figure_weight(unit, x) for x in shared])
        if unit in _MONEY_UNITS:
            conflict = _money_conflict(xs, ys, bool(shared))
            penalty += conflict
            contradiction = contradiction or conflict >= _CONTRADICTION
    counts_a, counts_b = by_unit_a.get("n", ()), by_unit_b.get("n", ())
    if len(counts_a) == len(counts_b) == 1 and counts_a != counts_b:
        penalty += 1.2  # "22 scholars" vs "25 scholars"
    hard = any(w >= 1.0 for w in weights)
    return _diminishing(weights, 4.0) - penalty, hard, contradiction


def _name_score(a: EventSignature, b: EventSignature) -> tuple[float, float]:
    """(score, shared names other than the people in most stories). Disagreement counts too:
    both naming leaders from the gazetteer with none in common (the Prime Minister's call and
    the Deputy Prime Minister's, the same morning), or both naming people or bodies in Latin
    script with none in common."""
    shared = a.names & b.names
    common_tokens = a._tokens & b._tokens
    if not shared and not common_tokens:  # most pairs: what the code below gives them, sooner
        score = 0.0
        if a._actors and b._actors:
            score -= _ACTORS_DISAGREE
        if a._latin and b._latin:
            score -= _NAMES_DISAGREE
        return score, 0.0
    covered = {t for n in shared for t in _name_tokens(n)}
    tokens = [_token_weight(t) for t in common_tokens - covered]
    specific = [_name_weight(n) for n in shared if n not in _ACTORS] + tokens
    actors = shared & _ACTORS.keys()
    specific_score = _diminishing(specific, 3.0)
    score = specific_score
    if actors:
        score = _diminishing([*specific, *(_name_weight(n) for n in actors)], 3.0)
    elif a._actors and b._actors:
        score -= _ACTORS_DISAGREE
    if not specific and a._latin and b._latin:
        score -= _NAMES_DISAGREE
    return score, specific_score


def _token_weight(token: str) -> float:
    """A shared surname or distinctive word of two different-length names ("Blinken")."""
    return 0.5 + 0.1 * min(max(len(token) - 4, 0), 4)


def _commitment_score(a: EventSignature, b: EventSignature) -> float:
    if not a.commitments or not b.commitments:
        return 0.0
    shared = a.commitments & b.commitments
    if not shared:
        return -1.2
    return 0.3 + 0.6 * len(shared) / len(a.commitments | b.commitments)


def _text_score(a: EventSignature, b: EventSignature) -> float:
    """Same-language overlap above what unrelated items of that language share (character
    n-grams of Japanese and Lao overlap more: particles, ministry names, ສປປ ລາວ)."""
    if a.lang != b.lang or not a.terms or not b.terms:
        return 0.0
    shared = len(a.terms & b.terms)
    jaccard = shared / (len(a.terms) + len(b.terms) - shared)  # without building the union
    baseline = _TEXT_BASELINE.get(a.lang, _TEXT_BASELINE["en"])
    return min(1.0, 3.0 * max(0.0, jaccard - baseline))


_TEXT_BASELINE = {"en": 0.1, "ja": 0.2, "lo": 0.25}


def evidence(a: EventSignature, b: EventSignature) -> dict[str, float]:
    """The evidence behind `same_event`, by kind (for evaluation and debugging)."""
    dates, date_hard = _date_score(a, b)
    figures, figure_hard, money_conflict = _figure_score(a, b)
    names, specific_names = _name_score(a, b)
    commitments = _commitment_score(a, b)
    text = _text_score(a, b)
    kinds = (
        (dates >= 1.0)
        + (figures >= 1.0)
        + (specific_names >= 0.5)
        + (commitments > 0)
        + (text >= _TEXT_KIND)
    )
    hard = date_hard or figure_hard or specific_names >= _HARD_NAMES
    return {
        "publication": _publication_score(a, b),
        "dates": dates,
        "figures": figures,
        "names": names,
        "commitments": commitments,
        "text": text,
        "hard": float(hard),
        "kinds": float(kinds),
        "contradiction": float(money_conflict or dates <= -_CONTRADICTION),
    }


def contradicts(a: EventSignature, b: EventSignature) -> bool:
    """The two texts name different event days or a different single amount: even a near
    copy (a templated notice, last year's release reused) is then another event."""
    return bool(evidence(a, b)["contradiction"])


def same_event(a: EventSignature, b: EventSignature) -> float:
    """How likely two articles report the same event, 0..1 (same at SAME_EVENT_THRESHOLD).

    0 when both publication dates are known and more than PUBLICATION_WINDOW_DAYS apart, or
    when they share no anchor (the story layer could not have found the pair). Below the
    threshold unless a date, a figure or distinctive names agree, and at least two kinds of
    evidence do: a shared day alone is not enough (summits and ASEAN weeks hold many events
    on one day), nor is wording alone (annual events are reported with the same words)."""
    if a.day is not None and b.day is not None and abs(a.day - b.day) > PUBLICATION_WINDOW_DAYS:
        return 0.0
    if a._anchors.isdisjoint(b._anchors):
        return 0.0
    ev = evidence(a, b)
    raw = sum([ev[kind] for kind in _EVIDENCE])
    score = 1.0 / (1.0 + math.exp(-1.5 * (raw - _RAW_THRESHOLD)))
    if not ev["hard"] or ev["kinds"] < 2 or ev["contradiction"]:
        score = min(score, _GATED_CAP)
    return round(score, 4)

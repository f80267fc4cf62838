"""Date formats the sources print, read into timezone-aware datetimes.

Handled (SOURCES.md §0.2): Japanese era dates (令和5年9月7日, 平成30年6月11日, 元年), Western
Japanese dates (2024年12月13日), dotted dates (掲載日:2024.12.13), ISO 8601, day-first
`DD/MM/YYYY[ HH:MM]` (KPL), English month names (May 4, 2016; 4 May 2016; Sept. 3, 2024) and
Lao month names (23 ມັງກອນ 2025), with Lao or full-width digits. `parse_date` returns the
first date in the text, whichever format it is in.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

# Year offsets: 昭和 1 = 1926, 平成 1 = 1989, 令和 1 = 2019 (RSSHub mofa.ts uses the same).
ERA_OFFSETS = {"明治": 1867, "大正": 1911, "昭和": 1925, "平成": 1988, "令和": 2018}
ENGLISH_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
LAO_MONTHS = {
    "ມັງກອນ": 1,
    "ກຸມພາ": 2,
    "ມີນາ": 3,
    "ເມສາ": 4,
    "ພຶດສະພາ": 5,
    "ມິຖຸນາ": 6,
    "ກໍລະກົດ": 7,
    "ສິງຫາ": 8,
    "ກັນຍາ": 9,
    "ຕຸລາ": 10,
    "ພະຈິກ": 11,
    "ທັນວາ": 12,
}
_LAO_DIGITS = str.maketrans("໐໑໒໓໔໕໖໗໘໙", "0123456789")
_TIME = r"(?:[,\s]+(?P<hh>\d{1,2}):(?P<mi>\d{2})(?::(?P<ss>\d{2}))?)?"

_ERA = re.compile(
    r"(?P<era>明治|大正|昭和|平成|令和)\s*(?P<y>\d{1,2}|元)\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
)
_JA_WESTERN = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
_ISO = re.compile(
    r"\b(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<hh>\d{2}):(?P<mi>\d{2})(?::(?P<ss>\d{2})(?:\.\d+)?)?"
    r"(?P<off>Z|[+-]\d{2}:?\d{2})?)?"
)
_DOTTED = re.compile(r"\b(?P<y>(?:19|20)\d{2})[./](?P<m>\d{1,2})[./](?P<d>\d{1,2})\b")
_DMY = re.compile(
    r"\b(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})(?:\s+(?P<hh>\d{1,2}):(?P<mi>\d{2}))?\b"
)
_MONTH_WORD = "|".join(sorted(ENGLISH_MONTHS, key=len, reverse=True))
_EN_MDY = re.compile(
    rf"\b(?P<mon>{_MONTH_WORD})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d{{2}})\b"
    + _TIME,
    re.I,
)
_EN_DMY = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mon>{_MONTH_WORD})\.?,?\s+(?P<y>(?:19|20)\d{{2}})\b"
    + _TIME,
    re.I,
)
_LAO_WORD = "|".join(sorted(LAO_MONTHS, key=len, reverse=True))
_LAO = re.compile(
    rf"(?P<d>\d{{1,2}})\s*(?:ເດືອນ\s*)?(?P<mon>{_LAO_WORD})\s*(?:ປີ\s*)?(?P<y>(?:19|20|25)\d{{2}})"
)


def normalise_digits(text: str) -> str:
    """Full-width and Lao digits as ASCII (NFKC also folds full-width letters)."""
    return unicodedata.normalize("NFKC", text).translate(_LAO_DIGITS)


def _build(
    y: int,
    m: int,
    d: int,
    tz: ZoneInfo,
    hh: str | None = None,
    mi: str | None = None,
    ss: str | None = None,
    off: str | None = None,
) -> datetime | None:
    if y > 2400:  # Lao texts sometimes count in the Buddhist era (B.E. = A.D. + 543)
        y -= 543
    try:
        when = datetime(y, m, d, int(hh or 0), int(mi or 0), int(ss or 0))
    except ValueError:
        return None
    if off:
        if off == "Z":
            return when.replace(tzinfo=ZoneInfo("UTC"))
        sign = 1 if off[0] == "+" else -1
        digits = off[1:].replace(":", "")
        return when.replace(
            tzinfo=timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        )
    return when.replace(tzinfo=tz)


def _candidates(text: str, tz: ZoneInfo) -> list[tuple[int, datetime]]:
    found: list[tuple[int, datetime]] = []

    def add(pos: int, value: datetime | None) -> None:
        if value is not None:
            found.append((pos, value))

    for m in _ERA.finditer(text):
        n = 1 if m["y"] == "元" else int(m["y"])
        add(m.start(), _build(ERA_OFFSETS[m["era"]] + n, int(m["m"]), int(m["d"]), tz))
    for m in _JA_WESTERN.finditer(text):
        add(m.start(), _build(int(m["y"]), int(m["m"]), int(m["d"]), tz))
    for m in _ISO.finditer(text):
        add(
            m.start(),
            _build(int(m["y"]), int(m["m"]), int(m["d"]), tz, m["hh"], m["mi"], m["ss"], m["off"]),
        )
    for m in _DOTTED.finditer(text):
        add(m.start(), _build(int(m["y"]), int(m["m"]), int(m["d"]), tz))
    for m in _DMY.finditer(text):
        add(m.start(), _build(int(m["y"]), int(m["m"]), int(m["d"]), tz, m["hh"], m["mi"]))
    for pattern in (_EN_MDY, _EN_DMY):
        for m in pattern.finditer(text):
            month = ENGLISH_MONTHS[m["mon"].lower()]
            add(
                m.start(),
                _build(int(m["y"]), month, int(m["d"]), tz, m["hh"], m["mi"], m["ss"]),
            )
    for m in _LAO.finditer(text):
        add(m.start(), _build(int(m["y"]), LAO_MONTHS[m["mon"]], int(m["d"]), tz))
    return found


def parse_date(text: str | None, tz: ZoneInfo) -> datetime | None:
    """The first date in `text`, in any handled format; times without an offset are read
    in `tz` (the source's time zone)."""
    if not text:
        return None
    found = _candidates(normalise_digits(text), tz)
    if not found:
        return None
    found.sort(key=lambda pair: pair[0])
    return found[0][1]


def parse_month_day(text: str, year: int, tz: ZoneInfo) -> datetime | None:
    """`M月D日` with the year given by the page it is on (MOFA's Japanese list pages)."""
    m = re.search(r"(\d{1,2})\s*月\s*(\d{1,2})\s*日", normalise_digits(text))
    return _build(year, int(m[1]), int(m[2]), tz) if m else None


_URL_YMD = (
    re.compile(r"/(?P<y>(?:19|20)\d{2})/(?P<m>\d{2})/(?P<d>\d{2})/"),
    re.compile(r"/(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?:_\d+)?(?:_\w+)?\.html?$"),
    re.compile(r"/press-release/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"),
    # MOD Japanese news: /j/press/news/2025/11/01a.html (day, then a letter per release).
    re.compile(r"/(?P<y>(?:19|20)\d{2})/(?P<m>\d{2})/(?P<d>\d{2})[a-z]?\.html?$"),
)


def date_from_url(url: str, tz: ZoneInfo) -> datetime | None:
    """A full date spelled in the URL (/YYYY/MM/DD/, /YYYYMMDD_NN.html, /YYYY/MM/DDa.html),
    midnight in `tz`; None for a year and month alone."""
    for pattern in _URL_YMD:
        m = pattern.search(url)
        if m:
            value = _build(int(m["y"]), int(m["m"]), int(m["d"]), tz)
            if value is not None:
                return value
    return None


def parse_dmy(text: str, tz: ZoneInfo) -> datetime | None:
    """First `DD/MM/YYYY[ HH:MM]` in `text`, read day first, in the source's time zone."""
    m = _DMY.search(text)
    if not m:
        return None
    return _build(int(m["y"]), int(m["m"]), int(m["d"]), tz, m["hh"], m["mi"])


_ERA_YEAR = re.compile(r"(?P<era>" + "|".join(ERA_OFFSETS) + r")\s*(?P<y>\d{1,2}|元)\s*年")
_WESTERN_YEAR = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?!\d)")


def year_in(text: str) -> int | None:
    """The year a heading names without a day: 令和7年 / 平成30年 / 元年, or 2025."""
    text = normalise_digits(text)
    m = _ERA_YEAR.search(text)
    if m:
        return ERA_OFFSETS[m["era"]] + (1 if m["y"] == "元" else int(m["y"]))
    m = _WESTERN_YEAR.search(text)
    return int(m["y"]) if m else None

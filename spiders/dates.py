"""Date formats the sources print, read into timezone-aware datetimes."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

_DMY_TIME = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2}))?\b")


def parse_dmy(text: str, tz: ZoneInfo) -> datetime | None:
    """First `DD/MM/YYYY[ HH:MM]` in `text`, read day first, in the source's time zone."""
    m = _DMY_TIME.search(text)
    if not m:
        return None
    day, month, year, hour, minute = m.groups()
    try:
        return datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=tz
        )
    except ValueError:
        return None


def parse_dmy_date(text: str) -> date | None:
    m = _DMY_TIME.search(text)
    if not m:
        return None
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None

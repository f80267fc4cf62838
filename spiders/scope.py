"""A source's `scope`: whether an article is one we keep (think-tanks and ministries
publish about everything; for them only what mentions Laos or Japan is stored)."""

from __future__ import annotations

import re
import unicodedata

from config.registry import Scope

_PATTERNS = {
    "laos": re.compile(
        r"\blaos\b|\blao\b|\blaotian|\bvientiane\b|\bluang prabang\b|ラオス|ビエンチャン|ວຽງຈັນ|ລາວ",
        re.I,
    ),
    "japan": re.compile(r"\bjapan|\bjica\b|\btokyo\b|日本|ຍີ່ປຸ່ນ", re.I),
}


def in_scope(scope: Scope, title: str, text: str) -> bool:
    if scope == "all":
        return True
    haystack = unicodedata.normalize("NFKC", f"{title}\n{text}")
    wanted = ("laos", "japan") if scope == "laos-or-japan" else (scope,)
    return any(_PATTERNS[name].search(haystack) for name in wanted)

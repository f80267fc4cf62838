"""A source's `scope`: whether an article is one we keep (think-tanks and ministries
publish about everything; for them only what mentions Laos or Japan is stored)."""

from __future__ import annotations

import re
import unicodedata

from config.registry import Scope

_TERMS = {
    "laos": (
        r"\blaos\b|\blao\b|\blaotian|\bvientiane\b|\bluang prabang\b|ラオス|ビエンチャン|ວຽງຈັນ|ລາວ"
    ),
    "japan": r"\bjapan|\bjica\b|\btokyo\b|日本|ຍີ່ປຸ່ນ",
}
_PATTERNS = {
    "laos": re.compile(_TERMS["laos"], re.I),
    "japan": re.compile(_TERMS["japan"], re.I),
}


def in_scope(scope: Scope, title: str, text: str) -> bool:
    if scope == "all":
        return True
    haystack = unicodedata.normalize("NFKC", f"{title}\n{text}")
    if scope == "laos-or-japan":
        return bool(_PATTERNS["laos"].search(haystack) or _PATTERNS["japan"].search(haystack))
    return bool(_PATTERNS[scope].search(haystack))

"""Language of an item when the source does not say: script first, then py3langid."""

from __future__ import annotations

import re
import threading

_LAO = re.compile(r"[\u0E80-\u0EFF]")
_KANA = re.compile(r"[\u3040-\u30FF]")
_HAN = re.compile(r"[\u4E00-\u9FFF]")
_LETTER = re.compile(r"[^\W\d_]")
# py3langid loads its model (~100 MB, ~0.5 s) on first use without a lock: the crawl's
# ingest threads would each load a copy at once. The first call goes through this lock.
_FIRST_USE = threading.Lock()
_loaded = False


def detect_language(text: str) -> str:
    """ISO 639-1 code, or "und" when there is too little text to tell."""
    sample = text[:4000]
    letters = len(_LETTER.findall(sample))
    if letters < 8:
        return "und"
    if len(_LAO.findall(sample)) > letters * 0.3:
        return "lo"
    if len(_KANA.findall(sample)) + len(_HAN.findall(sample)) > letters * 0.3:
        return "ja" if _KANA.search(sample) else "zh"
    return _classify(sample)


def _classify(sample: str) -> str:
    global _loaded
    import py3langid

    if not _loaded:
        with _FIRST_USE:
            code, _score = py3langid.classify(sample)
            _loaded = True
            return str(code)
    code, _score = py3langid.classify(sample)
    return str(code)

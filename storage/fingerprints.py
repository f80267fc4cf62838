"""Content fingerprints for deduplication: the hash of a page's material text, and MinHash
signatures with LSH band buckets for near-copies (ENGINEERING.md §4).

"Material" text leaves out what changes without the story changing: case, punctuation,
whitespace, view counters and "last updated" stamps. Two fetches of a page with the same
material hash are the same version; a different hash is an update worth a revision.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash

_NON_WORD = re.compile(r"[\W_]+")

# Counters and stamps that pages change on every visit or edit without changing the story.
_DATE = (
    r"(?:\d{1,4}[\s./\-年]+(?:\d{1,2}|[a-z]{3,9}\.?)[\s./\-月,]+\d{1,4}日?"
    r"|[a-z]{3,9}\.?\s+\d{1,2},?\s+\d{4})"
    r"(?:[\s,]*(?:at|t)?\s*\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?)?"
)
_STAMPS = re.compile(
    "|".join(
        [
            rf"\b(?:last\s+)?(?:updated|modified|edited)\s*(?:on|at)?\s*:?\s*{_DATE}",
            r"\b(?:views?|reads?|hits|visits?)\s*:?\s*\d[\d,.]*",
            r"\d[\d,.]*\s*(?:views?|reads?|hits|visits?)\b",
            rf"(?:最終)?更新(?:日時|日)?\s*[:：]?\s*{_DATE}",
            r"(?:閲覧数|閲覧|アクセス数)\s*[:：]?\s*\d[\d,]*\s*回?",
            r"(?:ເບິ່ງ|ຜູ້ເຂົ້າຊົມ)\s*[:：]?\s*[\d໐-໙][\d໐-໙,]*(?:\s*ຄັ້ງ)?",
        ]
    ),
    re.IGNORECASE,
)

NUM_PERM = 128
BANDS, ROWS = 14, 9  # datasketch's optimum for threshold 0.7 with 128 permutations
NEAR_COPY_SIMILARITY = 0.7
SHINGLE = 5
MAX_SHINGLED_CHARS = 6000  # copies share their first pages; bounds the cost of a huge page
_SEED = 1
_PERMUTER = MinHash(num_perm=NUM_PERM, seed=_SEED)  # only its permutations are used


def normalized_text(text: str) -> str:
    """NFKC, casefold, punctuation and whitespace removed: what 'the same text' means."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


@lru_cache(maxsize=8)
def material_text(title: str, text: str) -> str:
    """The normalised title and text without counters and edit stamps. Cached: the ingest of
    one item asks for it several times (content hash, copy length), ~1 ms each."""
    return normalized_text(_STAMPS.sub(" ", unicodedata.normalize("NFKC", f"{title}\n{text}")))


def content_hash(title: str, text: str) -> str:
    return hashlib.sha256(material_text(title, text).encode("utf-8")).hexdigest()


def _shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes of the distinct character 5-grams, computed as one rolling polynomial
    over the code points: language-agnostic (no tokenizer for Japanese or Lao) and fast."""
    norm = normalized_text(text)[:MAX_SHINGLED_CHARS]
    if len(norm) < SHINGLE:
        norm = norm.ljust(SHINGLE)
    codes = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    windows = np.lib.stride_tricks.sliding_window_view(codes, SHINGLE)
    weights = np.array([1_000_003**i % (1 << 32) for i in range(SHINGLE)], dtype=np.uint64)
    hashed = (windows * weights).sum(axis=1) & np.uint64(0xFFFFFFFF)
    return np.unique(hashed)


def minhash(text: str) -> LeanMinHash:
    """MinHash signature (128 permutations) of the text's character 5-gram set."""
    hashes = _shingle_hashes(text)
    m = MinHash(
        num_perm=NUM_PERM,
        seed=_SEED,
        hashfunc=int,
        permutations=_PERMUTER.permutations,
        scheme=_PERMUTER.scheme,
    )
    m.update_batch(hashes.tolist())
    return LeanMinHash(m)


def signature_bytes(sig: LeanMinHash) -> bytes:
    return sig.hashvalues.astype("<u4").tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two stored signatures."""
    va = np.frombuffer(a, dtype="<u4")
    vb = np.frombuffer(b, dtype="<u4")
    if va.shape != vb.shape or not va.size:
        return 0.0
    return float(np.count_nonzero(va == vb)) / va.size


def band_buckets(sig: LeanMinHash) -> list[tuple[int, int]]:
    """(band, bucket) pairs: a bucket is a signed 64-bit hash of one band's rows, so each
    lookup is an index probe in SQL on SQLite and PostgreSQL alike."""
    values = sig.hashvalues.astype("<u4")
    out = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8).digest()
        out.append((band, int.from_bytes(digest, "little", signed=True)))
    return out

"""The story layer: which existing story a new article belongs to, and who leads it.

Tried in order of certainty, first hit wins:
1. alternate: an official page names the other-language version (either direction);
2. exact: the same material text (content hash);
3. near-copy: MinHash LSH candidates from the `lsh_band` table, confirmed by the
   estimated similarity (syndicated copies, rewrites with a new header);
4. event: candidates sharing an anchor (figure, name, date) in `event_anchor`, within a
   few days, scored language-independently by `storage.events.same_event`.
Copies must be published within `COPY_WINDOW_DAYS` of each other when both dates are
known: annual notices reuse last year's text, and are new stories.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, insert, or_
from sqlmodel import Session, col, select

from config.registry import SOURCE_KINDS
from storage.events import (
    SAME_EVENT_THRESHOLD,
    EventSignature,
    contradicts,
    event_signature,
    same_event,
)
from storage.fingerprints import (
    BANDS,
    NEAR_COPY_SIMILARITY,
    band_buckets,
    material_text,
    minhash,
    signature_bytes,
    similarity,
)
from storage.models import Article, EventAnchor, LshBand, Story, utcnow

COPY_WINDOW_DAYS = 30
EVENT_WINDOW_DAYS = 7
MIN_COPY_CHARS = 200  # shorter texts (a title, a stub) are too thin to call copies
MAX_CANDIDATES = 50
MAX_EVENT_CANDIDATES = 20  # the best-connected few: scoring each costs ~0.2 ms
LEAD_ORDER = SOURCE_KINDS  # official, agency, press, think-tank, aggregator


def anchor_key(anchor: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(anchor.encode(), digest_size=8).digest(), "little", signed=True
    )


@dataclass
class Fingerprint:
    """Everything the story layer needs about one article, computed outside any lock."""

    content_hash: str
    copyable: bool
    signature: bytes
    bands: list[tuple[int, int]]
    event: EventSignature
    url_keys: set[int]  # anchor keys of this page's URL and its other-language versions
    day: int | None
    event_keys: set[int]  # anchor keys of the event signature


@dataclass(frozen=True)
class Join:
    story_id: int | None
    how: str  # first | alternate | exact | near-copy | event
    similarity: float | None = None


def fingerprint(
    *,
    canonical: str,
    alternates: Iterable[str],
    title: str,
    text: str,
    lang: str,
    published: datetime | None,
    commitments: Iterable[str],
    content_hash: str,
) -> Fingerprint:
    day = published.date() if published else None
    event = event_signature(title, text, lang=lang, published=day, commitments=commitments)
    sig = minhash(f"{title}\n{text}")
    return Fingerprint(
        content_hash=content_hash,
        copyable=len(material_text(title, text)) >= MIN_COPY_CHARS,
        signature=signature_bytes(sig),
        bands=band_buckets(sig),
        event=event,
        url_keys={anchor_key(f"url:{u}") for u in {canonical, *alternates}},
        day=day.toordinal() if day else None,
        event_keys={anchor_key(a) for a in event.anchors()},
    )


from_json = EventSignature.from_json


def _day(value: datetime | None) -> int | None:
    return value.date().toordinal() if value else None


def _within(a: int | None, b: int | None, days: int) -> bool:
    return a is None or b is None or abs(a - b) <= days


def find_story(session: Session, fp: Fingerprint, cache: SignatureCache | None = None) -> Join:
    """The story this article joins, or `Join(None, "first")` for a new one."""
    for finder in (_by_alternate, _by_exact, _by_near_copy):
        join = finder(session, fp)
        if join is not None:
            return join
    return _by_event(session, fp, cache or SignatureCache()) or Join(None, "first")


def _by_alternate(session: Session, fp: Fingerprint) -> Join | None:
    keys = list(fp.url_keys)
    row = session.exec(
        select(Article.story_id)
        .join(EventAnchor, col(EventAnchor.article_id) == Article.id)
        .where(col(EventAnchor.anchor).in_(keys))
        .order_by(col(Article.id))
        .limit(1)
    ).first()
    return Join(row, "alternate", 1.0) if row is not None else None


def _by_exact(session: Session, fp: Fingerprint) -> Join | None:
    if not fp.copyable:
        return None
    for story_id, published in session.exec(
        select(Article.story_id, Article.published_at)
        .where(Article.content_hash == fp.content_hash)
        .order_by(col(Article.id))
        .limit(MAX_CANDIDATES)
    ).all():
        if _within(fp.day, _day(published), COPY_WINDOW_DAYS):
            return Join(story_id, "exact", 1.0)
    return None


def _band_probe() -> Any:
    """Article ids sharing a bucket in any band. One equality pair per band, OR-ed: SQLite
    answers a row-value IN with a full scan of lsh_band (a cost growing with the corpus),
    but each OR-ed pair with an index probe. Built once, so it is compiled once."""
    pairs = (
        and_(col(LshBand.band) == bindparam(f"b{i}"), col(LshBand.bucket) == bindparam(f"k{i}"))
        for i in range(BANDS)
    )
    return select(LshBand.article_id).where(or_(*pairs)).distinct().limit(MAX_CANDIDATES)


def _anchor_probe(dated: bool) -> Any:
    """Articles sharing anchors with a newcomer, best-connected first. For a dated newcomer,
    two index ranges on (anchor, day), OR-ed at the top so SQLite probes both instead of
    reading every row of a common anchor."""
    anchor = col(EventAnchor.anchor)
    keys: Any = bindparam("keys", expanding=True)
    where: ColumnElement[bool] = anchor.in_(keys)
    if dated:
        near = col(EventAnchor.day).between(bindparam("first"), bindparam("last"))
        where = or_(and_(anchor.in_(keys), near), and_(anchor.in_(keys), col(EventAnchor.day) == 0))
    shared = func.count().label("shared")
    return (
        select(EventAnchor.article_id, shared)
        .where(where)
        .group_by(col(EventAnchor.article_id))
        .order_by(shared.desc(), col(EventAnchor.article_id).desc())
        .limit(MAX_EVENT_CANDIDATES)
    )


_BAND_PROBE = _band_probe()
_ANCHOR_PROBE = {dated: _anchor_probe(dated) for dated in (False, True)}


def _by_near_copy(session: Session, fp: Fingerprint) -> Join | None:
    if not fp.copyable:
        return None
    params: dict[str, int] = {}
    for i, (band, bucket) in enumerate(fp.bands):
        params[f"b{i}"], params[f"k{i}"] = band, bucket
    ids = session.exec(_BAND_PROBE, params=params)
    candidates = list(ids.all())
    if not candidates:
        return None
    best: Join | None = None
    for story_id, published, stored, event in session.exec(
        select(Article.story_id, Article.published_at, Article.minhash, Article.event).where(
            col(Article.id).in_(candidates)
        )
    ).all():
        if stored is None or not _within(fp.day, _day(published), COPY_WINDOW_DAYS):
            continue
        sim = similarity(fp.signature, stored)
        if sim >= NEAR_COPY_SIMILARITY and event and contradicts(fp.event, from_json(event)):
            continue  # a template filled in for another event
        if sim >= NEAR_COPY_SIMILARITY and (best is None or sim > (best.similarity or 0)):
            best = Join(story_id, "near-copy", round(sim, 3))
    return best


def _by_event(session: Session, fp: Fingerprint, cache: SignatureCache) -> Join | None:
    keys = list(fp.event_keys)
    if not keys:
        return None
    params: dict[str, Any] = {"keys": keys}
    if fp.day is not None:
        params["first"] = fp.day - EVENT_WINDOW_DAYS
        params["last"] = fp.day + EVENT_WINDOW_DAYS
    ranked = session.exec(_ANCHOR_PROBE[fp.day is not None], params=params).all()
    if not ranked:
        return None
    best: Join | None = None
    for article_id, revision, story_id, stored in session.exec(
        select(Article.id, Article.revision, Article.story_id, Article.event).where(
            col(Article.id).in_([r[0] for r in ranked])
        )
    ).all():
        if not stored:
            continue
        score = same_event(fp.event, cache.get(article_id, revision, stored))
        if score >= SAME_EVENT_THRESHOLD and (best is None or score > (best.similarity or 0)):
            best = Join(story_id, "event", round(score, 3))
    return best


class SignatureCache:
    """Stored event signatures parsed once (an article is a candidate for many newcomers).
    One per database: keys are article ids and revisions."""

    def __init__(self, size: int = 20_000) -> None:  # a few weeks of articles
        self.size = size
        self._parsed: OrderedDict[tuple[int | None, int], EventSignature] = OrderedDict()

    def get(
        self, article_id: int | None, revision: int, stored: Mapping[str, Any]
    ) -> EventSignature:
        key = (article_id, revision)
        found = self._parsed.get(key)
        if found is None:
            found = self._parsed[key] = from_json(stored)
            if len(self._parsed) > self.size:
                self._parsed.popitem(last=False)
        return found


def index_article(session: Session, article_id: int, fp: Fingerprint, *, new: bool) -> None:
    """Band and anchor rows of a stored article (a changed article is re-indexed)."""
    if not new:
        for model in (LshBand, EventAnchor):
            for row in session.exec(select(model).where(model.article_id == article_id)).all():
                session.delete(row)
        session.flush()
    # Core inserts: ~30 rows per article, where ORM objects would cost more than the lookup.
    if fp.copyable:
        bands = [{"band": b, "bucket": k, "article_id": article_id} for b, k in set(fp.bands)]
        session.execute(insert(LshBand), bands)
    day = fp.day or 0
    anchors = [
        {"anchor": k, "day": day, "article_id": article_id} for k in fp.url_keys | fp.event_keys
    ]
    if anchors:
        session.execute(insert(EventAnchor), anchors)


def rank(kind: str | None, order: tuple[str, ...] = LEAD_ORDER) -> int:
    return order.index(kind) if kind in order else len(order)


def add_member(
    session: Session,
    story: Story,
    newcomer: Article,
    kinds: Mapping[str, str],
    order: tuple[str, ...] = LEAD_ORDER,
) -> bool:
    """Record a new member: the story's first date, and its lead when the newcomer's source
    is more authoritative (or as authoritative and published earlier). True when the lead
    changed."""
    published = [d for d in (story.first_published_at, newcomer.published_at) if d]
    story.first_published_at = min(published) if published else None
    story.updated_at = utcnow()
    session.add(story)
    lead = session.exec(
        select(Article.source, Article.published_at).where(Article.id == story.lead_article_id)
    ).first()
    if lead is not None:
        new_key = (rank(kinds.get(newcomer.source), order), _day(newcomer.published_at) or 10**7)
        old_key = (rank(kinds.get(lead[0]), order), _day(lead[1]) or 10**7)
        if new_key >= old_key:
            return False
    story.lead_article_id = newcomer.id
    story.title = newcomer.title or story.title
    return True

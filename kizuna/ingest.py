"""The one ingest path, for crawled and imported items alike: validate, store with
canonical-URL dedupe, match against the commitments, enqueue alerts, in one transaction."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from alerts.outbox import enqueue
from alerts.routing import active_routes, destination, hits_for, is_backfill, takes_source
from alerts.views import HitView, StoryView
from config.registry import Route, load_commitments, load_routes, load_sources
from config.settings import Settings
from kizuna.items import Item, ItemError, now_utc, parse_item
from matching.lang import detect_language
from matching.matcher import Matcher, MatchResult
from storage.commitments import sync_commitments
from storage.db import session_scope
from storage.events import EventSignature
from storage.fingerprints import content_hash, normalized_text, similarity
from storage.locks import exclusive_session
from storage.models import Article, ArticleRevision, CommitmentRow, Match, Story
from storage.stories import (
    Fingerprint,
    SignatureCache,
    add_member,
    find_story,
    fingerprint,
    index_article,
)
from storage.urls import UrlCanonicalizer

Status = Literal["new", "duplicate", "updated", "rejected"]
REWRITE_SIMILARITY = 0.9  # below this estimated Jaccard, a changed page is news again
_PG_WRITE_KEY = 0x4B5A5752  # "KZWR": one ingest writer at a time, so stories never split


@dataclass
class IngestResult:
    status: Status
    article_id: int | None = None
    story_id: int | None = None
    reason: str = ""
    matches: int = 0
    alerts: int = 0
    story_join: str | None = None  # how a new article joined its story (storage.stories)


@dataclass
class _Prepared:
    """What the write needs, computed before taking the writer lock."""

    source: str
    lang: str
    result: MatchResult
    fingerprint: Fingerprint


@dataclass
class IngestTally:
    counts: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    matches: int = 0
    alerts: int = 0

    def add(self, result: IngestResult, line: int | None = None) -> None:
        self.counts[result.status] += 1
        self.matches += result.matches
        self.alerts += result.alerts
        if result.status == "rejected" and line is not None:
            self.rejected.append((line, result.reason))


class Ingestor:
    """Holds what every item needs (matcher, commitment ids, routes); thread-safe."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        catalogue = load_commitments(settings.config_dir)
        self.matcher = Matcher(catalogue.commitments)
        sources = load_sources(settings.config_dir)
        # Every route (a crawl's ops alerts use them too); instant ones alert per story.
        self.all_routes = load_routes(
            settings.config_dir, commitments=catalogue.commitments, sources=sources
        )
        self.routes: list[Route] = active_routes(self.all_routes, settings, "instant")
        self.areas = {c.key: c.area for c in catalogue.commitments}
        self.home_country = {s.key: s.country for s in sources}
        self.source_kinds: dict[str, str] = {s.key: s.kind for s in sources}
        self.canonical_url = UrlCanonicalizer(r for s in sources for r in s.identity)
        self.signatures = SignatureCache()
        with session_scope(engine) as session:
            self.commitment_ids = sync_commitments(session, catalogue.commitments)
        # One writer at a time: SQLite allows no more, and items of one crawl arrive together.
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Ingestor:
        from storage.db import make_engine

        return cls(make_engine(settings.database_url), settings)

    def ingest(self, data: Any, *, default_source: str = "import") -> IngestResult:
        """Validate and store one item (any JSON value; non-objects are rejected).

        Matching and fingerprinting run before the writer lock and outside any transaction
        (write transactions stay short), and not at all for an unchanged duplicate.
        """
        try:
            item = data if isinstance(data, Item) else parse_item(data)
        except ItemError as exc:
            return IngestResult("rejected", reason=str(exc))
        canonical = self.canonical_url(item.url)
        digest = content_hash(item.title, item.text)
        with Session(self.engine) as session:
            known = session.exec(
                select(Article.source, Article.content_hash).where(
                    Article.canonical_url == canonical
                )
            ).first()
        prepared: _Prepared | None = None
        if known is None or known[1] != digest:
            prepared = self._prepare(
                item, canonical, known[0] if known else None, default_source, digest
            )
        with self._lock:
            for attempt in (1, 2):
                try:
                    with exclusive_session(self.engine, key=_PG_WRITE_KEY, name="ingest") as s:
                        return self._store(s, item, default_source, canonical, digest, prepared)
                except IntegrityError:
                    # Another process stored the same URL between our read and write:
                    # the second pass sees its row and treats ours as a duplicate.
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def _prepare(
        self,
        item: Item,
        canonical: str,
        stored_source: str | None,
        default_source: str,
        digest: str,
    ) -> _Prepared:
        source = stored_source or item.source or default_source
        result = self.matcher.match(item.title, item.text, self.home_country.get(source))
        lang = item.lang or detect_language(f"{item.title}\n{item.text}")
        fp = fingerprint(
            canonical=canonical,
            alternates=[self.canonical_url(u) for u in item.alternate_urls],
            title=item.title,
            text=item.text,
            lang=lang,
            published=item.published_utc(self.settings.tz),
            commitments=[h.key for h in result.commitments],
            content_hash=digest,
        )
        return _Prepared(source, lang, result, fp)

    def _store(
        self,
        session: Session,
        item: Item,
        default_source: str,
        canonical: str,
        digest: str,
        prepared: _Prepared | None,
    ) -> IngestResult:
        existing = session.exec(select(Article).where(Article.canonical_url == canonical)).first()
        if existing is not None and existing.content_hash == digest:
            existing.fetched_at = now_utc()
            session.add(existing)
            return IngestResult("duplicate", existing.id, existing.story_id)
        if prepared is None or (existing is not None and existing.source != prepared.source):
            # Another process stored this URL with other text meanwhile.
            prepared = self._prepare(
                item, canonical, existing.source if existing else None, default_source, digest
            )
        if existing is not None:
            return self._update(session, existing, item, digest, prepared)

        fp = prepared.fingerprint
        join = find_story(session, fp, self.signatures)
        published = item.published_utc(self.settings.tz)
        story = session.get(Story, join.story_id) if join.story_id is not None else None
        if story is None:
            story = Story(title=item.title or item.text[:120], first_published_at=published)
            session.add(story)
            session.flush()
        article = Article(
            source=prepared.source,
            url=item.url,
            canonical_url=canonical,
            title=item.title,
            published_at=published,
            lang=prepared.lang,
            text=item.text,
            content_hash=digest,
            relevant=prepared.result.relevant,
            story_id=story.id,
            story_join=join.how,
            story_similarity=join.similarity,
            minhash=fp.signature,
            event=fp.event.to_json(),
        )
        session.add(article)
        session.flush()
        assert article.id is not None
        index_article(session, article.id, fp, new=True)
        add_member(session, story, article, self.source_kinds, self.settings.lead_kinds)
        matches = self._save_matches(session, article, prepared.result)
        alerts = self._enqueue_alerts(session, story, article, prepared.result)
        return IngestResult(
            "new", article.id, story.id, matches=matches, alerts=alerts, story_join=join.how
        )

    def _update(
        self, session: Session, article: Article, item: Item, digest: str, prepared: _Prepared
    ) -> IngestResult:
        """The page changed materially since we stored it: keep the old version as a
        revision, re-match, and tell the routes that alerted on it."""
        assert article.id is not None and article.story_id is not None
        session.add(
            ArticleRevision(
                article_id=article.id,
                revision=article.revision,
                title=article.title,
                text=article.text,
                content_hash=article.content_hash,
            )
        )
        notable = self._notable_change(session, article, item, prepared)
        article.title, article.text, article.content_hash = item.title, item.text, digest
        article.revision += 1
        article.fetched_at = now_utc()
        article.relevant = prepared.result.relevant
        article.minhash = prepared.fingerprint.signature
        article.event = prepared.fingerprint.event.to_json()
        if item.published_at is not None:
            article.published_at = item.published_utc(self.settings.tz)
        session.add(article)
        for old in session.exec(select(Match).where(Match.article_id == article.id)).all():
            session.delete(old)
        session.flush()
        index_article(session, article.id, prepared.fingerprint, new=False)
        matches = self._save_matches(session, article, prepared.result)
        story = session.get(Story, article.story_id)
        assert story is not None
        alerts = self._enqueue_alerts(
            session, story, article, prepared.result, revision=article.revision if notable else None
        )
        return IngestResult("updated", article.id, article.story_id, matches=matches, alerts=alerts)

    def _notable_change(
        self, session: Session, article: Article, item: Item, prepared: _Prepared
    ) -> bool:
        """Worth an update alert: a new headline, changed figures or dates, a commitment
        newly matched, or much of the text rewritten. A typo fix is a revision only."""
        old_event = EventSignature.from_json(article.event) if article.event else None
        new_event = prepared.fingerprint.event
        before = set(
            session.exec(
                select(CommitmentRow.key)
                .join(Match, col(Match.commitment_id) == CommitmentRow.id)
                .where(Match.article_id == article.id, Match.tier == "match")
            ).all()
        )
        after = {h.key for h in prepared.result.commitments}
        return (
            normalized_text(article.title) != normalized_text(item.title)
            or old_event is None
            or (old_event.figures, old_event.dates) != (new_event.figures, new_event.dates)
            or bool(after - before)
            or article.minhash is None
            or similarity(article.minhash, prepared.fingerprint.signature) < REWRITE_SIMILARITY
        )

    def _save_matches(self, session: Session, article: Article, result: MatchResult) -> int:
        assert article.id is not None
        for hit in result.all_hits:
            session.add(
                Match(
                    article_id=article.id,
                    commitment_id=self.commitment_ids[hit.key],
                    score=hit.score,
                    tier=hit.tier,
                    evidence=hit.evidence,
                    fired=", ".join(hit.fired),
                )
            )
        return len(result.all_hits)

    def _enqueue_alerts(
        self,
        session: Session,
        story: Story,
        article: Article,
        result: MatchResult,
        *,
        revision: int | None = None,
    ) -> int:
        """One instant alert per (story, route). A changed page whose story was already
        alerted on a route gets one `update` alert per revision there instead. A story
        published longer ago than a route's backfill window goes to digests only."""
        assert story.id is not None and article.id is not None
        added = 0
        now = now_utc()
        for route in self.routes:
            hits = hits_for(route, result.all_hits, self.areas)
            if (
                not hits
                or not takes_source(route, article.source)
                or is_backfill(route, article.published_at, now, self.settings.backfill_days)
            ):
                continue
            view = StoryView(
                story_id=story.id,
                title=article.title,
                url=article.url,
                source=article.source,
                published_at=article.published_at,
                lang=article.lang,
                hits=[
                    HitView(h.key, h.paragraph, h.title, h.tier, h.score, h.evidence) for h in hits
                ],
            )
            where = destination(route, self.settings)
            deliver = partial(
                enqueue, session, channel=route.channel, route=route.key, story_id=story.id
            )
            if deliver(
                kind="instant",
                idempotency_key=f"{route.key}:story:{story.id}",
                payload={"view": view.to_json(), **where},
            ):
                added += 1
            elif revision is not None:
                added += deliver(
                    kind="update",
                    idempotency_key=f"{route.key}:update:{article.id}:r{revision}",
                    payload={"view": replace(view, updated=True).to_json(), **where},
                )
        return added

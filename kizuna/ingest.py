"""The one ingest path, for crawled and imported items alike: validate, store with
canonical-URL dedupe, match against the commitments, enqueue alerts, in one transaction."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from alerts.outbox import enqueue
from alerts.routing import active_routes, hits_for
from alerts.slack import story_message
from alerts.views import HitView, StoryView
from config.registry import Route, load_commitments, load_routes, load_sources
from config.settings import Settings
from kizuna.items import Item, ItemError, now_utc, parse_item
from matching.lang import detect_language
from matching.matcher import Matcher, MatchResult
from storage.commitments import sync_commitments
from storage.db import session_scope
from storage.fingerprints import content_hash
from storage.models import Article, ArticleRevision, Match, Story
from storage.urls import canonical_url

Status = Literal["new", "duplicate", "updated", "rejected"]


@dataclass
class IngestResult:
    status: Status
    article_id: int | None = None
    story_id: int | None = None
    reason: str = ""
    matches: int = 0
    alerts: int = 0


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
        self.routes: list[Route] = [
            r
            for r in active_routes(load_routes(settings.config_dir), settings)
            if r.kind == "instant"
        ]
        self.home_country = {s.key: s.country for s in load_sources(settings.config_dir)}
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

        Matching runs before the writer lock and outside any transaction (write
        transactions stay short), and not at all for an unchanged duplicate.
        """
        try:
            item = data if isinstance(data, Item) else parse_item(data)
        except ItemError as exc:
            return IngestResult("rejected", reason=str(exc))
        canonical = canonical_url(item.url)
        digest = content_hash(item.title, item.text)
        with Session(self.engine) as session:
            known = session.exec(
                select(Article.source, Article.content_hash).where(
                    Article.canonical_url == canonical
                )
            ).first()
        result: MatchResult | None = None
        if known is None or known[1] != digest:
            source = known[0] if known else item.source or default_source
            result = self.matcher.match(item.title, item.text, self.home_country.get(source))
        with self._lock:
            for attempt in (1, 2):
                try:
                    with session_scope(self.engine) as session:
                        return self._store(session, item, default_source, canonical, digest, result)
                except IntegrityError:
                    # Another process stored the same URL between our read and write:
                    # the second pass sees its row and treats ours as a duplicate.
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def _store(
        self,
        session: Session,
        item: Item,
        default_source: str,
        canonical: str,
        digest: str,
        result: MatchResult | None,
    ) -> IngestResult:
        existing = session.exec(select(Article).where(Article.canonical_url == canonical)).first()
        if existing is not None and existing.content_hash == digest:
            existing.fetched_at = now_utc()
            session.add(existing)
            return IngestResult("duplicate", existing.id, existing.story_id)
        source = existing.source if existing is not None else item.source or default_source
        if result is None:  # another process stored this URL with other text meanwhile
            result = self.matcher.match(item.title, item.text, self.home_country.get(source))
        if existing is not None:
            return self._update(session, existing, item, digest, result)

        published = item.published_utc(self.settings.tz)
        story = Story(title=item.title or item.text[:120], first_published_at=published)
        session.add(story)
        session.flush()
        article = Article(
            source=source,
            url=item.url,
            canonical_url=canonical,
            title=item.title,
            published_at=published,
            lang=item.lang or detect_language(f"{item.title}\n{item.text}"),
            text=item.text,
            content_hash=digest,
            relevant=result.relevant,
            story_id=story.id,
        )
        session.add(article)
        session.flush()
        story.lead_article_id = article.id
        session.add(story)
        matches = self._save_matches(session, article, result)
        alerts = self._enqueue_alerts(session, story, article, result)
        return IngestResult("new", article.id, story.id, matches=matches, alerts=alerts)

    def _update(
        self, session: Session, article: Article, item: Item, digest: str, result: MatchResult
    ) -> IngestResult:
        """The page changed since we stored it: keep the old version as a revision."""
        assert article.id is not None
        session.add(
            ArticleRevision(
                article_id=article.id,
                revision=article.revision,
                title=article.title,
                text=article.text,
                content_hash=article.content_hash,
            )
        )
        article.title, article.text, article.content_hash = item.title, item.text, digest
        article.revision += 1
        article.fetched_at = now_utc()
        article.relevant = result.relevant
        if item.published_at is not None:
            article.published_at = item.published_utc(self.settings.tz)
        session.add(article)
        for old in session.exec(select(Match).where(Match.article_id == article.id)).all():
            session.delete(old)
        session.flush()
        matches = self._save_matches(session, article, result)
        return IngestResult("updated", article.id, article.story_id, matches=matches)

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
        self, session: Session, story: Story, article: Article, result: MatchResult
    ) -> int:
        assert story.id is not None
        added = 0
        for route in self.routes:
            hits = hits_for(route, result.all_hits)
            if not hits:
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
            added += enqueue(
                session,
                channel=route.channel,
                route=route.key,
                kind="instant",
                idempotency_key=f"{route.key}:story:{story.id}",
                payload=story_message(view),
                story_id=story.id,
            )
        return added

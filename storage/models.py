"""The tables of ARCHITECTURE.md section 4. Timestamps are timezone-aware UTC.

Constraint names follow one naming convention so Alembic batch mode on SQLite can alter them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    LargeBinary,
    MetaData,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


class Story(SQLModel, table=True):
    """A cluster of articles reporting the same thing; alerts are per story."""

    id: int | None = Field(default=None, primary_key=True)
    lead_article_id: int | None = Field(default=None, index=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    first_published_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Article(SQLModel, table=True):
    __table_args__ = (Index("ix_article_first_seen_at", "first_seen_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    canonical_url: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    title: str = Field(sa_column=Column(Text, nullable=False))
    published_at: datetime | None = Field(default=None, index=True)
    fetched_at: datetime = Field(default_factory=utcnow)
    first_seen_at: datetime = Field(default_factory=utcnow)
    lang: str = "und"
    text: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(index=True)
    relevant: bool = False
    story_id: int | None = Field(default=None, foreign_key="story.id", index=True)
    revision: int = 1
    # How the article joined its story: first | exact | near-copy | alternate | event
    story_join: str = "first"
    story_similarity: float | None = None
    minhash: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    event: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class ArticleRevision(SQLModel, table=True):
    """An earlier version of an article whose page changed."""

    __tablename__ = "article_revision"
    __table_args__ = (UniqueConstraint("article_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    revision: int
    title: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str
    replaced_at: datetime = Field(default_factory=utcnow)


class LshBand(SQLModel, table=True):
    """MinHash LSH band buckets: near-duplicate lookup as a SQL query on any database."""

    __tablename__ = "lsh_band"

    band: int = Field(primary_key=True)
    bucket: int = Field(sa_column=Column(BigInteger, primary_key=True))
    article_id: int = Field(primary_key=True, foreign_key="article.id", index=True)


class EventAnchor(SQLModel, table=True):
    """Inverted index of event anchors (figures, names, dates, URLs) for the story layer.

    `day` is the publication date's ordinal, or 0 when unknown, so a lookup is an index
    range over a few days whatever the size of the corpus.
    """

    __tablename__ = "event_anchor"

    anchor: int = Field(sa_column=Column(BigInteger, primary_key=True))
    day: int = Field(primary_key=True)
    article_id: int = Field(primary_key=True, foreign_key="article.id", index=True)


class CommitmentRow(SQLModel, table=True):
    """A tracked commitment, synced from config/commitments.yaml."""

    __tablename__ = "commitment"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    document: str
    paragraph: int
    title: str
    area: str
    text: str = Field(sa_column=Column(Text, nullable=False))


class Match(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("article_id", "commitment_id"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    score: float
    tier: str  # match | possible
    evidence: str = Field(sa_column=Column(Text, nullable=False))
    fired: str = Field(sa_column=Column(Text, nullable=False))  # alias(es) or rule
    created_at: datetime = Field(default_factory=utcnow)


class Outbox(SQLModel, table=True):
    """One delivery. The unique idempotency key makes re-runs unable to double-alert."""

    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_route_digest_day", "route", "digest_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str  # slack | email | file
    route: str
    kind: str  # instant | digest | ops
    story_id: int | None = Field(default=None, foreign_key="story.id")
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    idempotency_key: str = Field(unique=True)
    status: str = "pending"  # pending | sending | sent | failed | skipped (empty digest)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    # Who holds the lease: a sender records its outcome only while the token is still its own.
    claim_token: str | None = None
    digest_day: date | None = None  # the local day a digest covers
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class CrawlRun(SQLModel, table=True):
    __tablename__ = "crawl_run"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    trigger: str  # scheduled | manual | demo
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    # running | ok | failed | busy (another crawl held the source) | stopped (at shutdown)
    # | killed (its process died or was killed: time limit, memory cap)
    status: str = "running"
    holder: str | None = None  # host:pid of the crawl process (storage/crawl_locks.py)
    pages: int = 0
    items: int = 0
    new: int = 0
    duplicates: int = 0
    updated: int = 0
    rejected: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    stats: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SourceHealth(SQLModel, table=True):
    __tablename__ = "source_health"

    source: str = Field(primary_key=True)
    status: str = "ok"  # ok | degraded | blocked | broken | disabled
    failure_score: float = 0.0
    consecutive_failures: int = 0
    last_success_at: datetime | None = None
    last_item_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    expected_cadence_hours: int = 24
    next_fetch_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    # The last run, as counted by the crawler (storage/health.py decides the state).
    reason: str | None = Field(default=None, sa_column=Column(Text))  # why this state
    last_run_at: datetime | None = None
    last_run_id: int | None = None
    finish_reason: str | None = None
    items_seen: int = 0
    items_new: int = 0
    errors: int = 0
    blocked: int = 0
    http_status: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    previous_status: str | None = None
    status_changed_at: datetime | None = None


class ServiceHeartbeat(SQLModel, table=True):
    """A running `kizuna run`: when it last proved it was alive (`kizuna health` reads it)."""

    __tablename__ = "service_heartbeat"

    instance: str = Field(primary_key=True)  # host:pid
    role: str = "scheduler"
    started_at: datetime = Field(default_factory=utcnow)
    beat_at: datetime = Field(default_factory=utcnow)


class CrawlLock(SQLModel, table=True):
    """Who is crawling a source now. A scheduled and an on-demand crawl of one source never
    run at once; a lock whose holder died is taken over (storage/crawl_locks.py)."""

    __tablename__ = "crawl_lock"

    source: str = Field(primary_key=True)
    holder: str  # host:pid
    trigger: str
    acquired_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime

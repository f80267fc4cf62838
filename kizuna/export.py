"""`kizuna export`: articles, stories and matches as JSON Lines or CSV rows."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, or_, true
from sqlmodel import Session, col, select

from storage.models import Article, CommitmentRow, Match, Story

ARTICLE_FIELDS = [
    "url",
    "canonical_url",
    "source",
    "title",
    "published_at",
    "lang",
    "text",
    "relevant",
    "story_id",
    "commitments",
]
STORY_FIELDS = [
    "story_id",
    "title",
    "first_published_at",
    "lead_url",
    "lead_source",
    "article_count",
    "members",
]
MATCH_FIELDS = [
    "url",
    "story_id",
    "source",
    "published_at",
    "key",
    "paragraph",
    "title",
    "score",
    "tier",
    "evidence",
    "fired",
]


def _since_clause(since: date | None) -> Any:
    if since is None:
        return true()
    start = datetime.combine(since, time(0, 0), tzinfo=UTC)
    return or_(
        col(Article.published_at) >= start,
        (col(Article.published_at).is_(None)) & (Article.first_seen_at >= start),
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def articles(session: Session, since: date | None) -> Iterator[dict[str, Any]]:
    rows = session.exec(
        select(Article)
        .where(_since_clause(since))
        .order_by(col(Article.published_at), col(Article.id))
    ).all()
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    ids = [a.id for a in rows]
    if ids:
        for m, c in session.exec(
            select(Match, CommitmentRow)
            .join(CommitmentRow, col(CommitmentRow.id) == Match.commitment_id)
            .where(col(Match.article_id).in_(ids), Match.tier == "match")
            .order_by(col(CommitmentRow.paragraph))
        ).all():
            found[m.article_id].append({"key": c.key, "paragraph": c.paragraph})
    for a in rows:
        assert a.id is not None
        yield {
            "url": a.url,
            "canonical_url": a.canonical_url,
            "source": a.source,
            "title": a.title,
            "published_at": _iso(a.published_at),
            "lang": a.lang,
            "text": a.text,
            "relevant": a.relevant,
            "story_id": a.story_id,
            "commitments": found.get(a.id, []),
        }


def stories(session: Session, since: date | None) -> Iterator[dict[str, Any]]:
    members: dict[int, list[Article]] = defaultdict(list)
    for a in session.exec(
        select(Article).where(_since_clause(since)).order_by(col(Article.id))
    ).all():
        if a.story_id is not None:
            members[a.story_id].append(a)
    if not members:
        return
    for s in session.exec(
        select(Story).where(col(Story.id).in_(list(members))).order_by(col(Story.id))
    ).all():
        assert s.id is not None
        arts = members[s.id]
        lead = next((a for a in arts if a.id == s.lead_article_id), arts[0])
        yield {
            "story_id": s.id,
            "title": s.title,
            "first_published_at": _iso(s.first_published_at),
            "lead_url": lead.url,
            "lead_source": lead.source,
            "article_count": len(arts),
            "members": [
                {
                    "url": a.url,
                    "source": a.source,
                    "published_at": _iso(a.published_at),
                    "lang": a.lang,
                    "lead": a.id == lead.id,
                    "joined": a.story_join,
                    "similarity": a.story_similarity,
                }
                for a in arts
            ],
        }


def matches(session: Session, since: date | None) -> Iterator[dict[str, Any]]:
    for m, c, a in session.exec(
        select(Match, CommitmentRow, Article)
        .join(CommitmentRow, col(CommitmentRow.id) == Match.commitment_id)
        .join(Article, col(Article.id) == Match.article_id)
        .where(_since_clause(since))
        .order_by(col(Article.published_at), col(CommitmentRow.paragraph))
    ).all():
        yield {
            "url": a.url,
            "story_id": a.story_id,
            "source": a.source,
            "published_at": _iso(a.published_at),
            "key": c.key,
            "paragraph": c.paragraph,
            "title": c.title,
            "score": m.score,
            "tier": m.tier,
            "evidence": m.evidence,
            "fired": m.fired,
        }


EXPORTS = {
    "articles": (articles, ARTICLE_FIELDS),
    "stories": (stories, STORY_FIELDS),
    "matches": (matches, MATCH_FIELDS),
}


def write(
    rows: Iterator[dict[str, Any]], fields: list[str], fmt: str, out: io.TextIOBase | Any
) -> int:
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        flat = {k: _flat(v) for k, v in row.items()}
        writer.writerow(flat)
        count += 1
    return count


def _flat(value: Any) -> Any:
    """Lists become `;`-separated cells (commitment keys, member URLs)."""
    if isinstance(value, list):
        return ";".join(
            str(v.get("key") or v.get("url")) if isinstance(v, dict) else str(v) for v in value
        )
    return value


def commitment_activity(session: Session) -> dict[int, tuple[int, datetime | None]]:
    """commitment id -> (matched stories, latest evidence date) over match-tier matches."""
    rows = session.exec(
        select(
            Match.commitment_id,
            func.count(func.distinct(Article.story_id)),
            func.max(func.coalesce(Article.published_at, Article.first_seen_at)),
        )
        .join(Article, col(Article.id) == Match.article_id)
        .where(Match.tier == "match")
        .group_by(col(Match.commitment_id))
    ).all()
    out: dict[int, tuple[int, datetime | None]] = {}
    for cid, n, latest in rows:
        if isinstance(latest, str):  # SQLite returns aggregates of datetimes as text
            latest = datetime.fromisoformat(latest)
        if latest is not None and latest.tzinfo is None:
            latest = latest.replace(tzinfo=UTC)
        out[cid] = (n, latest)
    return out

"""The daily digest: what Kizuna first saw on one local day, grouped by commitment, then
other Japan–Laos news, then source health problems; rendered as text and HTML (Jinja2,
HTML autoescaped, since everything scraped is untrusted)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session, col, select

from storage.models import Article, CommitmentRow, Match, SourceHealth

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class DigestEntry:
    title: str
    url: str
    source: str
    published: str
    evidence: str = ""
    tier: str = ""
    score: float = 0.0


@dataclass
class DigestSection:
    paragraph: int
    key: str
    title: str
    entries: list[DigestEntry] = field(default_factory=list)


@dataclass
class Digest:
    day: date
    timezone: str
    sections: list[DigestSection]
    other: list[DigestEntry]
    health: list[SourceHealth]

    @property
    def story_count(self) -> int:
        return len({e.url for s in self.sections for e in s.entries} | {e.url for e in self.other})

    @property
    def subject(self) -> str:
        n = self.story_count
        moved = sum(1 for s in self.sections if s.entries)
        return (
            f"Kizuna digest {self.day.isoformat()}: {n} Japan–Laos "
            f"{'story' if n == 1 else 'stories'}, {moved} "
            f"{'commitment' if moved == 1 else 'commitments'} moved"
        )

    def render_text(self) -> str:
        return _env.get_template("digest.txt").render(d=self)

    def render_html(self) -> str:
        return _env.get_template("digest.html").render(d=self)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)
    return start, start + timedelta(days=1)


def compose(session: Session, day: date, tz: ZoneInfo, min_tier: str = "possible") -> Digest:
    """Stories first seen on `day` (local), grouped by the commitment they show progress on."""
    start, end = day_bounds(day, tz)
    articles = session.exec(
        select(Article)
        .where(
            Article.first_seen_at >= start,
            Article.first_seen_at < end,
            col(Article.relevant).is_(True),
        )
        .order_by(col(Article.published_at).desc())
    ).all()
    ids = [a.id for a in articles]
    rows = (
        session.exec(
            select(Match, CommitmentRow)
            .join(CommitmentRow, col(CommitmentRow.id) == Match.commitment_id)
            .where(col(Match.article_id).in_(ids))
        ).all()
        if ids
        else []
    )
    by_article = {a.id: a for a in articles}
    sections: dict[str, DigestSection] = {}
    matched: set[int] = set()
    seen_story: set[tuple[str, int | None]] = set()
    for m, c in rows:
        if min_tier == "match" and m.tier != "match":
            continue
        article = by_article[m.article_id]
        if (c.key, article.story_id) in seen_story:  # one entry per story per commitment
            continue
        seen_story.add((c.key, article.story_id))
        matched.add(m.article_id)
        section = sections.setdefault(c.key, DigestSection(c.paragraph, c.key, c.title))
        section.entries.append(_entry(article, tz, m))
    other_stories: set[int | None] = set()
    other = []
    for a in articles:
        if a.id in matched or a.story_id in other_stories:
            continue
        other_stories.add(a.story_id)
        other.append(_entry(a, tz))
    health = session.exec(
        select(SourceHealth).where(SourceHealth.status != "ok").order_by(SourceHealth.source)
    ).all()
    ordered = sorted(sections.values(), key=lambda s: (s.paragraph, s.key))
    for s in ordered:
        s.entries.sort(key=lambda e: (e.tier != "match", -e.score))
    return Digest(day, tz.key, ordered, other, list(health))


def _entry(article: Article, tz: ZoneInfo, m: Match | None = None) -> DigestEntry:
    published = (
        article.published_at.astimezone(tz).date().isoformat()
        if article.published_at
        else "date unknown"
    )
    return DigestEntry(
        title=article.title or "(untitled)",
        url=article.url,
        source=article.source,
        published=published,
        evidence=m.evidence if m else "",
        tier=m.tier if m else "",
        score=m.score if m else 0.0,
    )

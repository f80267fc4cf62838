"""The daily digest of one route: the stories Kizuna first saw since the previous digest,
grouped by commitment (with the paragraph's title), then other Japan–Laos news, then
updates to earlier stories, then source health problems. Rendered as text and HTML
(Jinja2, HTML autoescaped: everything scraped is untrusted).

The digest of day D covers the 24 hours that end at the route's time on D (07:30 by
default, in the route's time zone): what arrived since yesterday's digest.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session, col, select

from alerts.routing import hits_for, takes_source
from config.registry import Route
from storage.models import Article, ArticleRevision, CommitmentRow, Match, SourceHealth, Story

TEMPLATES = Path(__file__).resolve().parent / "templates"
templates = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
)
DEFAULT_TIME = time(7, 30)


@dataclass
class DigestEntry:
    title: str
    url: str
    source: str
    published: str
    also: list[str] = field(default_factory=list)
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
class UpdateEntry:
    title: str
    url: str
    source: str
    revision: int
    changed: str


@dataclass
class HealthLine:
    source: str
    status: str
    reason: str
    since: str


@dataclass
class Digest:
    day: date
    timezone: str
    start: datetime
    end: datetime
    sections: list[DigestSection]
    other: list[DigestEntry]
    updates: list[UpdateEntry] = field(default_factory=list)
    health: list[HealthLine] = field(default_factory=list)

    @property
    def story_count(self) -> int:
        urls = {e.url for s in self.sections for e in s.entries} | {e.url for e in self.other}
        return len(urls)

    @property
    def is_empty(self) -> bool:
        """Nothing new, changed or broken to tell."""
        return not (self.sections or self.other or self.updates or self.health)

    @property
    def subject(self) -> str:
        n = self.story_count
        moved = sum(1 for s in self.sections if s.entries)
        if self.is_empty:
            return f"Kizuna digest {self.day.isoformat()}: nothing new"
        return (
            f"Kizuna digest {self.day.isoformat()}: {n} Japan–Laos "
            f"{'story' if n == 1 else 'stories'}, {moved} "
            f"{'commitment' if moved == 1 else 'commitments'} moved"
        )

    @property
    def period(self) -> str:
        tz = ZoneInfo(self.timezone)
        a, b = self.start.astimezone(tz), self.end.astimezone(tz)
        return f"{a:%Y-%m-%d %H:%M} to {b:%Y-%m-%d %H:%M} ({self.timezone})"

    def render_text(self) -> str:
        return templates.get_template("digest.txt").render(d=self)

    def render_html(self) -> str:
        return templates.get_template("digest.html").render(d=self)


def window(day: date, at: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC bounds of the digest of `day`: from `at` the day before to `at` on `day`
    (local wall clock, so a DST change gives a 23- or 25-hour day)."""
    end = datetime.combine(day, at, tzinfo=tz)
    start = datetime.combine(day - timedelta(days=1), at, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def latest_closed_day(now: datetime, at: time, tz: ZoneInfo) -> date:
    """The most recent digest day whose window has ended by `now`."""
    local = now.astimezone(tz)
    return local.date() if local.time().replace(tzinfo=None) >= at else local.date() - timedelta(1)


def compose(
    session: Session,
    day: date,
    tz: ZoneInfo,
    *,
    route: Route | None = None,
    at: time = DEFAULT_TIME,
) -> Digest:
    """The digest of `day` for `route` (all commitments and sources when None)."""
    start, end = window(day, at, tz)
    stories = session.exec(
        select(Story)
        .where(Story.created_at >= start, Story.created_at < end)
        .order_by(col(Story.first_published_at).desc(), col(Story.id))
    ).all()
    story_ids = [s.id for s in stories]
    members = (
        session.exec(
            select(Article)
            .where(col(Article.story_id).in_(story_ids))
            .order_by(col(Article.first_seen_at), col(Article.id))
        ).all()
        if story_ids
        else []
    )
    by_story: dict[int | None, list[Article]] = defaultdict(list)
    for a in members:
        by_story[a.story_id].append(a)
    rows = (
        session.exec(
            select(Match, CommitmentRow)
            .join(CommitmentRow, col(CommitmentRow.id) == Match.commitment_id)
            .where(col(Match.article_id).in_([a.id for a in members]))
        ).all()
        if members
        else []
    )
    areas = {c.key: c.area for _, c in rows}
    matches_of: dict[int, list[tuple[Match, CommitmentRow]]] = defaultdict(list)
    for m, c in rows:
        matches_of[m.article_id].append((m, c))

    sections: dict[str, DigestSection] = {}
    other: list[DigestEntry] = []
    unfiltered = route is None or not (route.commitments or route.areas)
    for story in stories:
        articles = [a for a in by_story.get(story.id, []) if a.relevant]
        if not articles or (route and not any(takes_source(route, a.source) for a in articles)):
            continue
        lead = next((a for a in articles if a.id == story.lead_article_id), articles[0])
        best: dict[str, tuple[Match, CommitmentRow]] = {}
        for a in articles:
            for m, c in matches_of.get(a.id or 0, []):
                kept = best.get(c.key)
                if kept is None or _strength(m) > _strength(kept[0]):
                    best[c.key] = (m, c)
        shown = list(best.values())
        if route is not None:
            wanted = {
                h.key for h in hits_for(route, [_TierKey(c.key, m.tier) for m, c in shown], areas)
            }
            shown = [(m, c) for m, c in shown if c.key in wanted]
        also = sorted({a.source for a in articles if a.source != lead.source})
        if not shown:
            if unfiltered:
                other.append(_entry(lead, tz, also))
            continue
        for m, c in shown:
            section = sections.setdefault(c.key, DigestSection(c.paragraph, c.key, c.title))
            section.entries.append(_entry(lead, tz, also, m))
    ordered = sorted(sections.values(), key=lambda s: (s.paragraph, s.key))
    for s in ordered:
        s.entries.sort(key=lambda e: (e.tier != "match", -e.score))
    return Digest(
        day,
        tz.key,
        start,
        end,
        ordered,
        other,
        _updates(session, start, end, tz, route),
        _health(session, start, end, tz),
    )


def _strength(m: Match) -> tuple[bool, float]:
    return (m.tier == "match", m.score)


@dataclass(frozen=True)
class _TierKey:
    key: str
    tier: str


def _updates(
    session: Session, start: datetime, end: datetime, tz: ZoneInfo, route: Route | None
) -> list[UpdateEntry]:
    """Relevant articles of earlier stories whose page changed in the window."""
    changed = session.exec(
        select(Article, ArticleRevision.replaced_at)
        .join(ArticleRevision, col(ArticleRevision.article_id) == Article.id)
        .join(Story, col(Story.id) == Article.story_id)
        .where(
            ArticleRevision.replaced_at >= start,
            ArticleRevision.replaced_at < end,
            Story.created_at < start,
            col(Article.relevant).is_(True),
        )
        .order_by(col(ArticleRevision.replaced_at).desc())
    ).all()
    seen: set[int | None] = set()
    out = []
    for article, when in changed:
        if article.id in seen or (route and not takes_source(route, article.source)):
            continue
        seen.add(article.id)
        out.append(
            UpdateEntry(
                article.title or "(untitled)",
                article.url,
                article.source,
                article.revision,
                _aware(when).astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            )
        )
    return out


def _health(session: Session, start: datetime, end: datetime, tz: ZoneInfo) -> list[HealthLine]:
    """Sources not working now, and those whose state changed in the window (a digest
    caught up late does not report a change from after its period)."""
    rows = session.exec(select(SourceHealth).order_by(col(SourceHealth.source))).all()
    out = []
    for h in rows:
        changed = h.status_changed_at is not None and start <= _aware(h.status_changed_at) < end
        if h.status in ("ok", "new") and not (changed and h.previous_status):
            continue
        status = (
            h.status
            if not changed or not h.previous_status
            else f"{h.previous_status} → {h.status}"
        )
        since = (
            _aware(h.status_changed_at).astimezone(tz).strftime("%Y-%m-%d %H:%M")
            if h.status_changed_at
            else ""
        )
        out.append(HealthLine(h.source, status, h.reason or h.last_error or "", since))
    return out


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _entry(article: Article, tz: ZoneInfo, also: list[str], m: Match | None = None) -> DigestEntry:
    published = (
        _aware(article.published_at).astimezone(tz).date().isoformat()
        if article.published_at
        else "date unknown"
    )
    return DigestEntry(
        title=article.title or "(untitled)",
        url=article.url,
        source=article.source,
        published=published,
        also=also,
        evidence=m.evidence if m else "",
        tier=m.tier if m else "",
        score=m.score if m else 0.0,
    )

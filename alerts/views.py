"""What a channel needs to know about a story: plain data, no database objects."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from typing import Any


@dataclass(frozen=True)
class HitView:
    key: str
    paragraph: int
    title: str
    tier: str
    score: float
    evidence: str


@dataclass(frozen=True)
class StoryView:
    story_id: int
    title: str
    url: str
    source: str
    published_at: datetime | None
    lang: str
    hits: list[HitView] = field(default_factory=list)
    also_reported_by: list[str] = field(default_factory=list)
    updated: bool = False  # the page changed after an earlier alert

    def local_date(self, tz: tzinfo | None = None) -> str:
        """The publication day as the reader counts days (UTC when no zone is given)."""
        if self.published_at is None:
            return "date unknown"
        when = self.published_at.astimezone(tz) if tz else self.published_at
        return when.date().isoformat()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoryView:
        published = data.get("published_at")
        return cls(
            story_id=data["story_id"],
            title=data["title"],
            url=data["url"],
            source=data["source"],
            published_at=datetime.fromisoformat(published) if published else None,
            lang=data.get("lang", "und"),
            hits=[HitView(**h) for h in data.get("hits", [])],
            also_reported_by=list(data.get("also_reported_by", [])),
            updated=bool(data.get("updated", False)),
        )

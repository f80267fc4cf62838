"""What a channel needs to know about a story: plain data, no database objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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

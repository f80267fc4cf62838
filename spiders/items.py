"""What a spider yields: one article, in the shape of the ingest contract."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ArticleItem:
    url: str
    title: str
    text: str
    published_at: str | None  # ISO 8601 with offset
    lang: str | None
    source: str
    alternate_urls: list[str] = field(default_factory=list)

    def as_ingest(self) -> dict[str, Any]:
        return asdict(self)

"""The item contract shared by `kizuna ingest`, `kizuna match` and the crawl pipeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

MAX_TEXT = 200_000  # scraped text is untrusted: bounded in size


class ItemError(ValueError):
    """An item that cannot be ingested; the message says which field and why."""


class Item(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str | None = None
    url: str = Field(pattern=r"(?i)^https?://[^\s/]+", max_length=4000)
    title: str = Field(default="", max_length=2000)
    text: str = Field(default="", max_length=MAX_TEXT)
    published_at: datetime | None = None
    lang: str | None = Field(default=None, max_length=16)
    source: str | None = Field(default=None, max_length=100)
    # Other-language versions the page links to (e.g. MOFA's English/Japanese pair).
    alternate_urls: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("an item must be a JSON object")
        data = dict(data)
        if data.get("id") is not None:
            data["id"] = str(data["id"])
        if not data.get("text") and data.get("summary"):
            data["text"] = data["summary"]
        if not data.get("published_at") and data.get("date"):
            data["published_at"] = data["date"]
        for key in ("title", "text"):
            if data.get(key) is None:
                data[key] = ""
            elif isinstance(data[key], str) and len(data[key]) > MAX_TEXT:
                data[key] = data[key][:MAX_TEXT]
        return data

    @model_validator(mode="after")
    def _has_content(self) -> Item:
        if not self.title and not self.text:
            raise ValueError("needs a title or a text (or summary)")
        return self

    def published_utc(self, tz: ZoneInfo) -> datetime | None:
        """Aware UTC; a date or naive time is read in `tz` (the source's or the service's)."""
        if self.published_at is None:
            return None
        value = self.published_at
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        return value.astimezone(UTC)


def parse_item(data: Any) -> Item:
    """Validate one item, raising `ItemError` with a one-line reason.

    A bare date ("2025-03-01") parses as naive midnight, which `published_utc` then reads
    in the reader's time zone rather than UTC.
    """
    try:
        return Item.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        raise ItemError(f"{where}: {msg}" if where else msg) from None


def now_utc() -> datetime:
    return datetime.now(UTC)

"""Validated models of the YAML registries (sources, commitments, alerts) and their loader.

A file is looked up in `KIZUNA_CONFIG_DIR` first and falls back to the copy shipped with
the package, so a fresh install runs on embedded defaults. Any problem becomes a
`ConfigError` whose one line names the file, the entry and the field.
"""

from __future__ import annotations

import re
from datetime import date as Date
from datetime import timedelta
from pathlib import Path
from string import Formatter
from typing import Any, Literal, TypeVar, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.errors import ConfigError

PACKAGED_DIR = Path(__file__).resolve().parent

SourceKind = Literal["official", "agency", "press", "think-tank", "aggregator"]
SOURCE_KINDS: tuple[str, ...] = get_args(SourceKind)
Tier = Literal["match", "possible"]


def check_zone(value: str) -> str:
    """An IANA time zone name, or a ValueError that says which."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
    return pattern


def _template_fields(template: str) -> list[str]:
    """The `{name}` fields of a URL template; ValueError for anything but plain names."""
    try:
        parsed = list(Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"bad template {template!r}: {exc}") from exc
    names: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"bad template field in {template!r}: only {{group}} is allowed")
        names.append(name)
    return names


class IdentityRule(_Strict):
    """One way a site spells the same article differently (SOURCES.md: KPL's letter case,
    Vientiane Times' archive move). When `pattern` matches a cleaned URL (tracking
    parameters, fragment and default port gone, query sorted), the canonical URL is the
    `url` template with the pattern's named groups filled in. The template's output should
    match the same pattern and give itself again, so canonical URLs are idempotent."""

    pattern: str = Field(description="regular expression with named groups, searched")
    url: str = Field(description="template of the canonical URL, `{group}` fields")

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, pattern: str) -> str:
        return _compiles(pattern)

    @field_validator("url")
    @classmethod
    def _template_uses_pattern_groups(cls, url: str, info: ValidationInfo) -> str:
        if not re.match(r"^https?://[^/]", url):
            raise ValueError(f"not an absolute http(s) URL template: {url!r}")
        fields = _template_fields(url)
        pattern = info.data.get("pattern")
        if pattern is None:  # already reported on `pattern`
            return url
        groups = re.compile(pattern).groupindex
        unknown = [f for f in fields if f not in groups]
        if unknown:
            have = ", ".join(groups) or "none"
            raise ValueError(
                f"{{{unknown[0]}}} is not a named group of the pattern (groups: {have})"
            )
        return url


EntryType = Literal["feed", "listing", "wordpress", "sitemap"]
Scope = Literal["all", "laos", "japan", "laos-or-japan"]


class Entry(_Strict):
    """Where a crawl of the source starts. `feed`: RSS or Atom; `listing`: an HTML page of
    article links, followed through its pagination; `wordpress`: the WordPress REST API
    posts endpoint (`.../wp-json/wp/v2/posts`), queried with `search`; `sitemap`: a
    sitemap or sitemap index."""

    type: EntryType
    url: str
    search: str | None = Field(default=None, description="wordpress: full-text search term")

    @field_validator("url")
    @classmethod
    def _absolute(cls, url: str) -> str:
        if not re.match(r"^https?://[^/]+", url):
            raise ValueError(f"not an absolute http(s) URL: {url!r}")
        return url


class Politeness(_Strict):
    """Per-source overrides of the crawl's politeness defaults (spiders/settings.py)."""

    delay: float | None = Field(default=None, ge=0, description="seconds between requests")
    concurrency: int | None = Field(default=None, ge=1, description="requests at once per host")
    timeout: float | None = Field(default=None, gt=0, description="seconds per download")
    retries: int | None = Field(default=None, ge=0)
    user_agent: str | None = Field(default=None, description="replaces Kizuna's User-Agent")


class Source(_Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    kind: SourceKind
    country: str | None = Field(
        default=None, pattern=r"^[a-z]{2}$", description="publisher's country, ISO 3166 alpha-2"
    )
    languages: list[str] = ["en"]
    enabled: bool = True
    pages: str | None = Field(
        default=None,
        description="page objects that read its markup (spiders/pages/); none: generic",
    )
    entries: list[Entry] = Field(min_length=1)
    article_patterns: list[str] = Field(min_length=1)
    scope: Scope = Field(
        default="all", description="keep every article, or only those that mention these"
    )
    max_pages: int = Field(default=5, ge=1, description="listing/API pages followed per crawl")
    recheck_days: float = Field(
        default=3, ge=0, description="stored articles younger than this are fetched again"
    )
    schedule: str = "0 */3 * * *"
    cadence_hours: int = Field(default=24, ge=1, description="expected time between new items")
    timezone: str = "UTC"
    politeness: Politeness = Field(default_factory=Politeness)
    identity: list[IdentityRule] = Field(
        default_factory=list, description="URL identity rules, first match wins"
    )

    @field_validator("article_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        return [_compiles(p) for p in patterns]

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        if value.startswith("every"):
            every_interval(value)
            return value
        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"bad crontab {value!r}: {exc}") from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)

    @property
    def entry_urls(self) -> list[str]:
        return [e.url for e in self.entries]


class SourcesFile(_Strict):
    sources: list[Source]


class Document(_Strict):
    key: str
    title: str
    date: Date | None = None
    source: str | None = None


class Rule(_Strict):
    """A `match` when every `all` group has a term present, at least one `any` term is
    present (if given) and no `none` term is. With `within: sentence` all of that must hold
    inside one sentence (the evidence); with `item`, anywhere in title and text."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    all: list[list[str]] = Field(default_factory=list)
    any: list[str] = Field(default_factory=list)
    none: list[str] = Field(default_factory=list)
    within: Literal["sentence", "item"] = "sentence"

    @field_validator("all")
    @classmethod
    def _non_empty_groups(cls, groups: list[list[str]]) -> list[list[str]]:
        if any(not g for g in groups):
            raise ValueError("an `all` group may not be empty")
        return groups


class Negative(_Strict):
    """A near miss: when a `terms` term shares a sentence with an alias hit and no `unless`
    term does, that hit does not count (e.g. the Technical Intern Training Program is not
    the Specified Skilled Worker system)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    terms: list[str] = Field(min_length=1)
    unless: list[str] = Field(default_factory=list)


class SubItem(_Strict):
    """One deliverable of a paragraph that bundles several."""

    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str
    aliases: dict[str, list[str]] = Field(default_factory=dict)


class Commitment(_Strict):
    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    document: str
    paragraph: int = Field(ge=0)
    title: str
    area: str
    text: str
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    negatives: list[Negative] = Field(default_factory=list)
    subitems: list[SubItem] = Field(default_factory=list)


class CommitmentsFile(_Strict):
    documents: list[Document]
    commitments: list[Commitment]


_CLOCK = r"([01]\d|2[0-3]):[0-5]\d"
_EVERY = re.compile(r"every\s+(\d+)\s*(s|m|h)")


def every_interval(value: str) -> timedelta:
    """A schedule written `every 30m` (s, m or h) instead of a crontab."""
    found = _EVERY.fullmatch(value.strip())
    if not found or int(found[1]) == 0:
        raise ValueError(f"bad schedule {value!r}: expected a crontab or `every N` s, m or h")
    unit = {"s": "seconds", "m": "minutes", "h": "hours"}[found[2]]
    return timedelta(**{unit: int(found[1])})


class Route(_Strict):
    """Who gets what: one channel, a filter on stories, and when to deliver.

    `instant` sends one message per new story; `digest` one email a day at `time`;
    `ops` receives operator alerts (a source changing state, a delivery that failed).
    Secrets never live here: a Slack route names the environment variable that holds its
    webhook URL (default KIZUNA_SLACK_WEBHOOK_URL, or KIZUNA_OPS_SLACK_WEBHOOK_URL for ops).
    """

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    channel: Literal["slack", "email"]
    kind: Literal["instant", "digest", "ops"]
    enabled: bool = True
    min_tier: Tier = "match"
    commitments: list[str] = Field(default_factory=list, description="keys; empty = all")
    areas: list[str] = Field(default_factory=list, description="commitment areas; empty = all")
    sources: list[str] = Field(default_factory=list, description="source keys; empty = all")
    time: str = "07:30"
    timezone: str | None = Field(default=None, description="default KIZUNA_TIMEZONE")
    quiet_hours: str | None = Field(default=None, description="HH:MM-HH:MM, local")
    to: list[str] = Field(default_factory=list, description="email recipients; default env")
    webhook_env: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9_]*$")
    # Instant routes skip stories published longer ago than this (a backfill): digest only.
    backfill_days: int = Field(default=14, ge=0)
    # A digest day with nothing new: send a short note, or nothing.
    empty_digest: Literal["note", "skip"] = "note"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        return None if value is None else check_zone(value)

    @field_validator("time")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not re.fullmatch(f"{_CLOCK}(:[0-5]\\d)?", value):
            raise ValueError(f"expected a 24-hour time HH:MM, got {value!r}")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _span(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(f"{_CLOCK}-{_CLOCK}", value):
            raise ValueError(f"expected HH:MM-HH:MM (24-hour, e.g. 22:00-07:00), got {value!r}")
        return value

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address or any(c in address for c in " ,;<>"):
                raise ValueError(f"not an email address: {address!r}")
        return value

    @model_validator(mode="after")
    def _channel_fits_kind(self) -> Route:
        if self.channel == "slack" and self.kind == "digest":
            raise ValueError("a Slack route is instant or ops; digests go by email")
        if self.channel == "email" and self.webhook_env:
            raise ValueError("webhook_env is for Slack routes")
        if self.channel == "slack" and self.to:
            raise ValueError("`to` is for email routes")
        return self


class AlertsFile(_Strict):
    routes: list[Route]


M = TypeVar("M", bound=BaseModel)


def config_path(config_dir: Path, name: str) -> Path:
    """The user's file when it exists, else the packaged default."""
    user = config_dir / name
    return user if user.exists() else PACKAGED_DIR / name


def _entry_label(data: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic location into `sources[kpl-en].entries`."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            key = None
            if isinstance(node, list) and 0 <= item < len(node):
                node = node[item]
                key = node.get("key") if isinstance(node, dict) else None
            parts.append(f"[{key if key else item}]")
        else:
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def load_yaml_model(path: Path, model: type[M]) -> M:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: {where}invalid YAML ({problem})") from None
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        err = exc.errors()[0]
        label = _entry_label(data, tuple(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{path}: {label}: {msg}") from None


def _check_unique(path: Path, section: str, keys: list[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ConfigError(f"{path}: {section}[{key}]: key: duplicate key")
        seen.add(key)


def load_sources(config_dir: Path) -> list[Source]:
    path = config_path(config_dir, "sources.yaml")
    sources = load_yaml_model(path, SourcesFile).sources
    _check_unique(path, "sources", [s.key for s in sources])
    return sources


def load_identity_rules(config_dir: Path) -> list[IdentityRule]:
    """The identity rules of every source, enabled or not, in file order: a URL's identity
    does not depend on which source delivered it."""
    return [rule for source in load_sources(config_dir) for rule in source.identity]


def load_commitments(config_dir: Path) -> CommitmentsFile:
    path = config_path(config_dir, "commitments.yaml")
    catalogue = load_yaml_model(path, CommitmentsFile)
    _check_unique(path, "commitments", [c.key for c in catalogue.commitments])
    documents = {d.key for d in catalogue.documents}
    for c in catalogue.commitments:
        if c.document not in documents:
            raise ConfigError(
                f"{path}: commitments[{c.key}].document: unknown document {c.document!r}"
            )
    return catalogue


def load_routes(
    config_dir: Path,
    *,
    commitments: list[Commitment] | None = None,
    sources: list[Source] | None = None,
) -> list[Route]:
    """The alert routes, checked against the commitments and sources they name (a typo
    would otherwise silently filter everything out). A caller that has already loaded the
    commitments or sources passes them, and they are not read again."""
    path = config_path(config_dir, "alerts.yaml")
    routes = load_yaml_model(path, AlertsFile).routes
    _check_unique(path, "routes", [r.key for r in routes])
    if any(r.commitments or r.areas for r in routes):
        catalogue = commitments
        if catalogue is None:
            catalogue = load_commitments(config_dir).commitments
        known = {"commitments": {c.key for c in catalogue}, "areas": {c.area for c in catalogue}}
    if any(r.sources for r in routes):
        named_sources = sources if sources is not None else load_sources(config_dir)
        known_sources = {s.key for s in named_sources}
    for r in routes:
        named = {"commitments": r.commitments, "areas": r.areas}
        for field_name, values in named.items():
            for value in values:
                if value not in known[field_name]:
                    raise ConfigError(
                        f"{path}: routes[{r.key}].{field_name}: unknown {field_name[:-1]} "
                        f"{value!r} (see `kizuna commitments`)"
                    )
        for value in r.sources:
            if value not in known_sources:
                raise ConfigError(
                    f"{path}: routes[{r.key}].sources: unknown source {value!r} "
                    "(see `kizuna sources`)"
                )
    return routes

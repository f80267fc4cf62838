"""Digest: composing and rendering one route's digest of a day with 1,000 matched stories.

Synthetic Japan–Laos items go through the real ingest path (`Ingestor.ingest`: matching,
story dedupe, storage) on a fresh SQLite file until one day holds 1,000 stories, each with a
commitment match, and the day before holds 10. Ingest stamps stories with the time they
were stored (now), so each story is then moved to a time inside its day (in the digest
route's time zone), spread evenly. The figure is the median time to compose the packaged
digest route's digest of the day and render its email (subject, text and HTML, as
`alerts.digests.digest_message` builds it), against the same for the day with 10 stories.

A digest has no cap on stories (ARCHITECTURE.md): the rendered email must link every story
of the day, under a commitment heading, or the benchmark fails.
"""

from __future__ import annotations

import random
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.common import Metric, Stopwatch, fresh_store, in_child, progress
from benchmarks.ingest import DAYS, LAO_PLACES, MONTHS, ORGS, PEOPLE, PLACES, TOPICS, UNITS

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from config.registry import Route
    from config.settings import Settings
    from kizuna.ingest import Ingestor

DESCRIPTION = "compose + render one route's digest of a day with 1,000 matched stories"
STORIES = 1_000
BASELINE_STORIES = 10
REPEATS = 7  # timed runs per day; the figure is their median
DAY = date(2025, 3, 14)  # the big day; the baseline day is the day before
SEED = 20250314
# Items are published up to this many days before the day (as a day's crawl finds older
# pages too); spread out, few of them are taken for reports of one event and joined.
PUBLISHED_SPREAD_DAYS = 120
MAX_ITEMS_PER_STORY = 3  # items fed per wanted story before giving up (joins, non-matches)
RECIPIENTS = ["analyst@example.org"]

# Sentences that tie an item to a commitment: each names Japan and Laos and a programme that
# the commitments' aliases and rules know (each sentence with each topic matches on its own:
# tests/test_bench_digest.py checks it).
RELEVANT_SENTENCES = (
    "Japan and the Lao PDR signed a grant agreement worth {money} for {rtopic} in {lplace} "
    "on {day}.",
    "The Japan International Cooperation Agency will provide {money} for {rtopic} in {lplace}.",
    "Japan has supported {rtopic} in Laos since {year}, the Japanese embassy in Vientiane said.",
    "Lao officials in {lplace} thanked Japan for its support for {rtopic}.",
)
RELEVANT_TOPICS = (
    "UXO clearance",
    "the national mine action programme",
    "maternal and child health",
    "water supply",
    "disaster risk reduction",
    "hospital equipment",
    "teacher training",
)
FILLER_SENTENCES = (
    "{Person} told reporters in {place} that the work on {topic} would start in {month}.",
    "Officials from {org} visited {place} on {day} to review {topic}.",
    "About {num} {unit} in {place} are expected to take part, {org} said.",
    "{Person} said the project in {place} was part of a longer plan for {topic}.",
    "The first phase covers {place} and is due to finish in {year}.",
)
OUTLETS = ("vientiane-times", "kpl", "mofa-japan", "jica", "embassy-laos", "laotian-times")


@dataclass(frozen=True)
class Day:
    """One digest day of the route: its date and its UTC window."""

    day: date
    start: datetime
    end: datetime


# ------------------------------------------------------------------ synthetic items


def items(seed: int = SEED) -> Iterator[dict[str, Any]]:
    """Endless distinct Japan–Laos items, each naming a commitment's programme."""
    rng = random.Random(seed)
    index = 0
    while True:
        yield _item(rng, index)
        index += 1


def _item(rng: random.Random, index: int) -> dict[str, Any]:
    rtopic, lplace, place = rng.choice(RELEVANT_TOPICS), rng.choice(LAO_PLACES), rng.choice(PLACES)
    fixed = {"rtopic": rtopic, "lplace": lplace, "place": place, "topic": rng.choice(TOPICS)}
    # Short items (one sentence that matches, two that do not): matching costs ~5 ms a
    # sentence, and what the digest shows of an item is its title and evidence sentence.
    fillers = [_fill(rng, t, fixed) for t in rng.sample(FILLER_SENTENCES, 2)]
    text = f"{_fill(rng, rng.choice(RELEVANT_SENTENCES), fixed)} {fillers[0]}\n\n{fillers[1]}"
    title = f"Japan to support {rtopic} in {lplace} ({rng.choice(ORGS).removeprefix('the ')})"
    source = rng.choice(OUTLETS)
    published = DAY - timedelta(days=rng.randint(0, PUBLISHED_SPREAD_DAYS))
    return {
        "url": f"https://{source}.example/news/{published:%Y/%m}/{index}-japan-laos",
        "title": title[:1].upper() + title[1:],
        "text": text,
        "published_at": f"{published.isoformat()}T{rng.randint(0, 23):02d}:00:00+07:00",
        "source": source,
        "lang": "en",
    }


def _fill(rng: random.Random, template: str, fixed: dict[str, str]) -> str:
    person = rng.choice(PEOPLE)
    values = {
        **fixed,
        "Person": person,
        "org": rng.choice(ORGS),
        "day": rng.choice(DAYS),
        "month": rng.choice(MONTHS),
        "unit": rng.choice(UNITS),
        "num": f"{rng.randint(2, 9_000):,}",
        "money": f"${rng.randint(2, 9_500) / 10:.1f} million",
        "year": str(rng.randint(2018, 2029)),
    }
    return template.format(**values)


# ------------------------------------------------------------------ the measurement


def run(scale: float = 1.0) -> list[Metric]:
    """The benchmark at `scale` (stories in the big day = 1,000 × scale, at least 10)."""
    stories = max(BASELINE_STORIES, round(STORIES * scale))
    _progress(f"{stories:,} stories in the day, {BASELINE_STORIES} in the baseline day")
    return in_child(measure, stories)


def measure(stories: int, baseline: int = BASELINE_STORIES) -> list[Metric]:
    """Run in this process (call it through `in_child`: imports stay out of the runner)."""
    with tempfile.TemporaryDirectory(prefix="kizuna-bench-") as tmp:
        return _measure(stories, baseline, Path(tmp))


def _measure(stories: int, baseline: int, tmp: Path) -> list[Metric]:
    from alerts.digest import window
    from alerts.digests import clock, digest_routes
    from kizuna.ingest import Ingestor

    engine, settings = fresh_store(
        f"sqlite:///{tmp / 'bench.db'}",
        tmp / "var",
        digest_to=",".join(RECIPIENTS),  # the packaged digest route is on,
        email_backend="file",  # and would write files: nothing is sent
    )
    ingestor = Ingestor(engine, settings)
    route = _digest_route(digest_routes(ingestor.all_routes, settings))
    at, tz = clock(route, settings)
    big, small = (Day(d, *window(d, at, tz)) for d in (DAY, DAY - timedelta(days=1)))

    started = time.monotonic()
    feed = items()
    fed = sum(
        _fill_day(engine, ingestor, feed, target, count)
        for target, count in ((big, stories), (small, baseline))
    )
    _progress(
        f"{fed:,} items ingested into {stories + baseline:,} matched stories "
        f"in {time.monotonic() - started:.0f} s"
    )

    message = _compose(engine, settings, route, big.day)  # also warms templates up
    entries = _check(message, stories)
    _check(_compose(engine, settings, route, small.day), baseline)
    big_times: list[float] = []
    small_times: list[float] = []
    for _ in range(REPEATS):  # alternated, so a slow spell of the machine hits both
        for target, times in ((big, big_times), (small, small_times)):
            with Stopwatch() as watch:
                _compose(engine, settings, route, target.day)
            times.append(watch.seconds)
    engine.dispose()
    return [
        Metric.compared(
            "digest.compose_s",
            statistics.median(big_times),
            "s",
            statistics.median(small_times),
            # No worse than linear in stories (the baseline includes the fixed cost).
            limit=stories / baseline,
        ),
        Metric("digest.stories", stories, "stories"),
        Metric("digest.entries", entries, "entries"),
        Metric("digest.html_bytes", len(message["html"].encode()), "bytes"),
        Metric("digest.text_bytes", len(message["text"].encode()), "bytes"),
    ]


def _digest_route(routes: list[Route]) -> Route:
    if not routes:
        raise RuntimeError("the packaged config has no active digest route")
    return routes[0]


def _fill_day(
    engine: Engine, ingestor: Ingestor, feed: Iterator[dict[str, Any]], target: Day, count: int
) -> int:
    """Ingest items until `count` new stories have a commitment match, then move those
    stories (and their articles' first-seen times) into `target`'s window, spread evenly.
    Returns the number of items ingested."""
    from sqlalchemy import update
    from sqlmodel import Session

    from storage.models import Article, Story

    members: dict[int, list[int]] = {}  # story id -> its articles' ids
    fed = 0
    while len(members) < count:
        if fed >= count * MAX_ITEMS_PER_STORY:
            raise RuntimeError(f"{fed} items gave only {len(members)} matched new stories")
        fed += 1
        result = ingestor.ingest(next(feed))
        if result.status != "new" or result.story_id is None or result.article_id is None:
            raise RuntimeError(f"a synthetic item was {result.status}: {result.reason}")
        if result.story_join == "first" and result.matches:
            members[result.story_id] = [result.article_id]
        elif result.story_id in members:  # joined one of ours (same event)
            members[result.story_id].append(result.article_id)
    step = (target.end - target.start) / (count + 1)
    at = {story: target.start + step * n for n, story in enumerate(members, start=1)}
    with Session(engine) as session:  # bulk UPDATEs by primary key
        session.execute(
            update(Story), [{"id": s, "created_at": t, "updated_at": t} for s, t in at.items()]
        )
        session.execute(
            update(Article),
            [
                {"id": a, "first_seen_at": at[s], "fetched_at": at[s]}
                for s, articles in members.items()
                for a in articles
            ],
        )
        session.commit()
    return fed


def _compose(engine: Engine, settings: Settings, route: Route, day: date) -> dict[str, Any]:
    """The digest email of `day` as the outbox would store it, in a fresh session."""
    from alerts.digests import compose_for, digest_message
    from storage.db import session_scope

    with session_scope(engine) as session:
        digest = compose_for(session, route, day, settings)
        return digest_message(digest, RECIPIENTS, f"{route.key}:digest:{day}", settings)


HREF = re.compile(r'<a href="([^"]*)">')


def _check(message: dict[str, Any], stories: int) -> int:
    """Raise unless the email links `stories` distinct stories, each under a commitment
    (none in "Other Japan–Laos news"); the number of entries (a story under each of its
    commitments) otherwise."""
    html = message["html"]
    other = html.find("Other Japan–Laos news")
    linked = [unescape(u) for u in HREF.findall(html if other < 0 else html[:other])]
    unmatched = len(HREF.findall(html[other:])) if other >= 0 else 0
    if len(set(linked)) != stories or unmatched:
        raise RuntimeError(
            f"the digest links {len(set(linked))} matched stories and {unmatched} others, "
            f"not {stories} matched ones"
        )
    missing = [u for u in set(linked) if u not in message["text"]]
    if missing:
        raise RuntimeError(f"{len(missing)} stories are missing from the text digest")
    return len(linked)


def _progress(message: str) -> None:
    progress("digest", message)

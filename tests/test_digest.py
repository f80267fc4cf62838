"""The daily digest as its reader gets it: one digest per day and route, caught up oldest
first after an outage and never queued twice; a new route starts with the latest closed day;
an empty day is a short "nothing new" note or nothing at all; route filters (commitments,
areas, sources, minimum tier) decide what it holds; pages of earlier stories that changed and
sources in trouble get their own sections; and a day with a DST change is 23 hours long.

Stories land in a digest by when Kizuna first saw them (Story.created_at), so the tests
ingest real items and then move that moment into the day they want, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from alerts.digests import compose_for, queue_digests, upcoming_day
from alerts.sender import flush
from config.registry import Route
from config.settings import Settings, load_settings
from kizuna.ingest import Ingestor
from storage.db import session_scope
from storage.health import RunReport, record_run
from storage.models import Outbox, SourceHealth, Story, utcnow

from alerting import outbox_rows
from conftest import Env

VIENTIANE = ZoneInfo("Asia/Vientiane")
BERLIN = ZoneInfo("Europe/Berlin")
# 10:00 in Vientiane on 10 May 2026: the digest of 10 May (07:30 the day before to 07:30)
# is the latest closed one.
NOW = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)
LATEST = date(2026, 5, 10)


def item(url: str, title: str, text: str, source: str) -> dict[str, Any]:
    return {"url": url, "title": title, "text": text, "source": source}


STADIUM = item(
    "https://www.vientianetimes.org.la/stadium-reopens",
    "Japan and Laos reopen Chao Anouvong Stadium",
    "The Chao Anouvong Stadium in Vientiane reopened on Saturday after reconstruction funded "
    "by Japan. Officials of Japan and Laos attended the ceremony.",
    "vientiane-times",
)  # ¶18, people-to-people, match
UXO = item(
    "https://kpl.gov.la/En/Detail.aspx?id=70001",
    "Japan funds UXO clearance in Xieng Khouang",
    "Japan will provide new funding for unexploded ordnance (UXO) clearance in Xieng Khouang "
    "province, the Japanese Embassy in Vientiane said. The Lao UXO programme will clear 500 "
    "hectares.",
    "kpl-en",
)  # ¶9, economic-social, match
VISA = item(
    "https://laotiantimes.com/visa-exemption-japan",
    "Laos extends visa exemption for Japanese visitors to 30 days",
    "Laos will extend the visa exemption for Japanese tourists from 15 to 30 days to boost "
    "tourism cooperation with Japan, the Lao tourism ministry said.",
    "laotian-times",
)  # ¶19, people-to-people, match
HYDRO = item(
    "https://kpl.gov.la/En/Detail.aspx?id=70002",
    "Japan backs Lao hydropower grid",
    "Japan and Laos agreed to cooperate on hydropower and a stable power supply so Laos can "
    "become a regional clean energy hub, officials said in Vientiane.",
    "kpl-en",
)  # ¶6, economic-social, match
VOLUNTEERS = item(
    "https://www.vientianetimes.org.la/volunteers-arrive",
    "Japanese volunteers in Laos",
    "Japanese volunteers arrived in Vientiane to teach in Lao schools.",
    "vientiane-times",
)  # ¶15, people-to-people, possible only
STUDENTS = item(
    "https://laotiantimes.com/ambassador-students",
    "Japanese ambassador meets Lao students",
    "The Japanese ambassador met Lao students in Vientiane on Tuesday to talk about life in "
    "Japan and Laos.",
    "laotian-times",
)  # Japan–Laos news, no commitment
ALL_STORIES = (STADIUM, UXO, VISA, HYDRO, VOLUNTEERS, STUDENTS)


def inside(day: date) -> datetime:
    """An instant in the middle of the digest window of `day` (07:30 the day before to 07:30
    in Vientiane): 19:30 the evening before."""
    return datetime.combine(day - timedelta(days=1), time(19, 30), VIENTIANE).astimezone(UTC)


def digest_route(key: str = "desk", **fields: Any) -> Route:
    values: dict[str, Any] = {
        "key": key,
        "channel": "email",
        "kind": "digest",
        "min_tier": "possible",
        "to": ["desk@example.org"],
        **fields,
    }
    return Route(**values)


@pytest.fixture
def settings(kenv: Env) -> Settings:
    # Digests as .eml files: the route is on without an SMTP server.
    return load_settings(email_backend="file")


class Newsroom:
    """Ingests items through the real ingest path, then moves each new story to the moment
    Kizuna should have first seen it."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.ingestor = Ingestor(engine, settings)

    def publish(self, data: dict[str, Any], seen: datetime | None = None) -> int:
        result = self.ingestor.ingest(dict(data))
        assert result.status == "new", result
        assert result.story_id is not None
        if seen is not None:
            self.seen_at(result.story_id, seen)
        return result.story_id

    def seen_at(self, story_id: int, when: datetime) -> None:
        with session_scope(self.engine) as session:
            story = session.get(Story, story_id)
            assert story is not None
            story.created_at = when
            session.add(story)


@pytest.fixture
def newsroom(engine: Engine, settings: Settings) -> Newsroom:
    return Newsroom(engine, settings)


def digest_rows(engine: Engine, route: str = "desk") -> list[Outbox]:
    return outbox_rows(engine, route=route, kind="digest")


def text_of(row: Outbox) -> str:
    return str(row.payload["message"]["text"])


def titles_in(text: str) -> set[str]:
    return {s["title"] for s in ALL_STORIES if s["title"] in text}


def outcomes(queued: list[Any]) -> list[tuple[date, str]]:
    return [(q.day, q.outcome) for q in queued]


def section(text: str, heading: str) -> str:
    """The lines under `== heading ==` up to the next heading or the signature."""
    rest = text[text.index(f"== {heading} ==") :].split("\n", 1)[1]
    return re.split(r"^(?:==|--$)", rest, maxsplit=1, flags=re.M)[0]


# ---------------------------------------------------------------- catch-up


def test_missed_days_are_caught_up_oldest_first_each_with_its_own_stories(
    engine: Engine, settings: Settings, newsroom: Newsroom, tmp_path: Path
) -> None:
    days = [LATEST - timedelta(days=n) for n in (3, 2, 1, 0)]
    for story, day in zip((HYDRO, STADIUM, UXO, VISA), days, strict=True):
        newsroom.publish(story, inside(day))
    route = digest_route()

    # The route's last digest went out three days ago ...
    first = queue_digests(engine, settings, [route], now=NOW - timedelta(days=3))
    assert outcomes(first) == [(days[0], "queued")]
    assert flush(engine, settings, [route], file_dir=tmp_path).sent == 1
    # ... then the service was down: the three days since are each queued, oldest first.
    caught_up = queue_digests(engine, settings, [route], now=NOW)

    assert outcomes(caught_up) == [(d, "queued") for d in days[1:]]
    rows = digest_rows(engine)
    assert [r.digest_day for r in rows] == days
    assert [r.status for r in rows] == ["sent", "pending", "pending", "pending"]
    for row, story in zip(rows, (HYDRO, STADIUM, UXO, VISA), strict=True):
        assert titles_in(text_of(row)) == {story["title"]}, row.digest_day
        assert row.payload["message"]["subject"].startswith(
            f"Kizuna digest {row.digest_day}: 1 Japan–Laos story"
        )

    # Asking again (the scheduler's next tick, or later that day) queues nothing twice.
    assert queue_digests(engine, settings, [route], now=NOW) == []
    assert queue_digests(engine, settings, [route], now=NOW + timedelta(hours=12)) == []
    assert len(digest_rows(engine)) == 4


def test_a_new_route_starts_with_the_latest_closed_day_only(
    engine: Engine, settings: Settings, newsroom: Newsroom
) -> None:
    newsroom.publish(HYDRO, inside(LATEST - timedelta(days=5)))
    newsroom.publish(UXO, inside(LATEST - timedelta(days=1)))
    newsroom.publish(VISA, inside(LATEST))
    newsroom.publish(STADIUM, inside(LATEST + timedelta(days=1)))  # window not closed yet

    queued = queue_digests(engine, settings, [digest_route()], now=NOW)

    assert outcomes(queued) == [(LATEST, "queued")]
    (row,) = digest_rows(engine)
    assert row.digest_day == LATEST
    assert titles_in(text_of(row)) == {VISA["title"]}


# ---------------------------------------------------------------- empty days


def test_an_empty_day_sends_a_short_nothing_new_note(
    engine: Engine, settings: Settings, newsroom: Newsroom, tmp_path: Path
) -> None:
    newsroom.publish(VISA, inside(LATEST - timedelta(days=1)))  # the day before: not this one
    route = digest_route(empty_digest="note")

    assert outcomes(queue_digests(engine, settings, [route], now=NOW)) == [(LATEST, "queued")]
    (row,) = digest_rows(engine)
    message = row.payload["message"]
    assert message["subject"] == f"Kizuna digest {LATEST}: nothing new"
    assert "Nothing new about Japan–Laos relations was found" in message["text"]
    assert "Nothing new about Japan–Laos relations was found" in message["html"]
    assert titles_in(message["text"]) == set()
    assert "==" not in message["text"]  # no sections at all
    assert len(message["text"].splitlines()) < 10

    assert flush(engine, settings, [route], file_dir=tmp_path).sent == 1
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_an_empty_day_with_skip_sends_nothing_and_is_not_queued_again(
    engine: Engine, settings: Settings, newsroom: Newsroom, tmp_path: Path
) -> None:
    route = digest_route(empty_digest="skip")

    assert outcomes(queue_digests(engine, settings, [route], now=NOW)) == [
        (LATEST, "empty, not sent")
    ]
    (row,) = digest_rows(engine)
    assert (row.digest_day, row.status) == (LATEST, "skipped")

    report = flush(engine, settings, [route], file_dir=tmp_path)
    assert (report.sent, report.retrying, report.failed) == (0, 0, 0)
    assert list(tmp_path.glob("*.eml")) == []
    # Later the same day: the skipped day is handled, not due again.
    assert queue_digests(engine, settings, [route], now=NOW + timedelta(hours=6)) == []

    # The next day has news: it is queued as usual, and the skipped day stays skipped.
    newsroom.publish(UXO, inside(LATEST + timedelta(days=1)))
    queued = queue_digests(engine, settings, [route], now=NOW + timedelta(days=1))
    assert outcomes(queued) == [(LATEST + timedelta(days=1), "queued")]
    rows = digest_rows(engine)
    assert [(r.digest_day, r.status) for r in rows] == [
        (LATEST, "skipped"),
        (LATEST + timedelta(days=1), "pending"),
    ]
    assert titles_in(text_of(rows[1])) == {UXO["title"]}
    assert flush(engine, settings, [route], file_dir=tmp_path).sent == 1
    assert len(list(tmp_path.glob("*.eml"))) == 1


# ---------------------------------------------------------------- route filters


FILTERS: list[tuple[dict[str, Any], list[int], set[str]]] = [
    # (route fields, commitment headings in order, stories shown)
    (
        {},
        [9, 15, 18],
        {UXO["title"], VOLUNTEERS["title"], STADIUM["title"], STUDENTS["title"]},
    ),
    ({"commitments": ["csp2025-18"]}, [18], {STADIUM["title"]}),
    (
        {"areas": ["people-to-people"]},
        [15, 18],
        {VOLUNTEERS["title"], STADIUM["title"]},
    ),
    ({"areas": ["people-to-people"], "min_tier": "match"}, [18], {STADIUM["title"]}),
    # A possible match is not shown under its commitment, but still as Japan–Laos news.
    (
        {"min_tier": "match"},
        [9, 18],
        {UXO["title"], STADIUM["title"], VOLUNTEERS["title"], STUDENTS["title"]},
    ),
    ({"sources": ["kpl-en"]}, [9], {UXO["title"]}),
    ({"sources": ["laotian-times"]}, [], {STUDENTS["title"]}),
]


def test_route_filters_decide_what_the_digest_holds(
    engine: Engine, settings: Settings, newsroom: Newsroom
) -> None:
    for story in (STADIUM, UXO, VOLUNTEERS, STUDENTS):
        newsroom.publish(story, inside(LATEST))
    routes = [digest_route(f"route-{n}", **fields) for n, (fields, _, _) in enumerate(FILTERS)]

    queue_digests(engine, settings, routes, now=NOW)

    for n, (fields, paragraphs, shown) in enumerate(FILTERS):
        (row,) = digest_rows(engine, f"route-{n}")
        text = text_of(row)
        headings = [int(p) for p in re.findall(r"^== ¶(\d+) ", text, flags=re.M)]
        assert headings == paragraphs, fields
        assert titles_in(text) == shown, fields
        other = section(text, "Other Japan–Laos news") if "== Other" in text else ""
        assert STUDENTS["title"] in other or STUDENTS["title"] not in shown, fields
        assert (VOLUNTEERS["title"] in other) == (fields == {"min_tier": "match"}), fields


# ---------------------------------------------------------------- updates and source health


def queue_open_day(engine: Engine, settings: Settings, route: Route) -> str:
    """Queue the digest of the window holding now (as the scheduler will once it closes)."""
    day = upcoming_day(route, settings)
    queued = queue_digests(engine, settings, [route], now=utcnow() + timedelta(days=1))
    assert outcomes(queued) == [(day, "queued")]
    (row,) = [r for r in digest_rows(engine, route.key) if r.digest_day == day]
    return text_of(row)


def test_changed_pages_of_earlier_stories_are_listed_as_updates(
    engine: Engine, settings: Settings, newsroom: Newsroom
) -> None:
    earlier = newsroom.publish(STADIUM)
    newsroom.seen_at(earlier, utcnow() - timedelta(days=2))
    newsroom.publish(UXO)  # a story of this window whose page also changes
    changed = dict(
        STADIUM,
        title="Japan and Laos reopen Chao Anouvong Stadium with 15,000 seats",
        text=STADIUM["text"] + " The rebuilt stadium has 15,000 seats and ramps for wheelchairs.",
    )
    uxo_changed = dict(UXO, text=UXO["text"] + " Work starts in June 2026.")
    assert newsroom.ingestor.ingest(changed).status == "updated"
    assert newsroom.ingestor.ingest(uxo_changed).status == "updated"

    text = queue_open_day(engine, settings, digest_route())

    updates = section(text, "Updates to earlier stories")
    assert changed["title"] in updates
    assert STADIUM["url"] in updates
    assert "(version 2)" in updates
    assert UXO["title"] not in updates  # new in this window: listed as news, not as an update
    assert UXO["title"] in section(
        text, "¶9 UXO clearance, coordinated with other Mekong countries"
    )
    assert "== ¶18 " not in text  # the earlier story is not news again
    # The day before did not see the change.
    day_before = upcoming_day(digest_route(), settings) - timedelta(days=1)
    with Session(engine) as session:
        before = compose_for(session, digest_route(), day_before, settings)
    assert before.updates == []


def record(engine: Engine, source: str, *, ok: bool) -> None:
    """One crawl run of `source` through storage.health: a good one, or one whose entry
    page answered 503."""
    report = (
        RunReport(source, 24, entry_pages=1, articles_fetched=2, items_seen=2, items_new=1)
        if ok
        else RunReport(source, 24, failed="entry page answered HTTP 503")
    )
    with session_scope(engine) as session:
        record_run(session, report)


def changed_long_ago(engine: Engine, source: str) -> None:
    with session_scope(engine) as session:
        health = session.get(SourceHealth, source)
        assert health is not None
        health.status_changed_at = utcnow() - timedelta(days=5)
        session.add(health)


def test_sources_in_trouble_or_changed_in_the_window_are_listed(
    engine: Engine, settings: Settings, newsroom: Newsroom
) -> None:
    newsroom.publish(STADIUM)
    record(engine, "kpl-en", ok=False)  # failing now
    record(engine, "vientiane-times", ok=False)
    record(engine, "vientiane-times", ok=True)  # recovered in this window
    record(engine, "jica-en", ok=True)  # fine all along
    record(engine, "mofa-en", ok=False)
    record(engine, "mofa-en", ok=True)
    changed_long_ago(engine, "mofa-en")  # recovered days ago: old news

    text = queue_open_day(engine, settings, digest_route())

    health = section(text, "Source health problems")
    assert "- kpl-en: degraded" in health
    assert "entry page answered HTTP 503" in health
    assert "- vientiane-times: degraded → ok" in health
    assert "jica-en" not in health
    assert "mofa-en" not in health


def test_a_recovery_after_the_window_is_not_reported_in_an_earlier_digest(
    engine: Engine, settings: Settings
) -> None:
    record(engine, "vientiane-times", ok=False)
    record(engine, "vientiane-times", ok=True)  # degraded -> ok, just now
    # Closed two days ago, caught up late.
    earlier = upcoming_day(digest_route(), settings) - timedelta(days=2)

    with Session(engine) as session:
        digest = compose_for(session, digest_route(), earlier, settings)

    assert [h.source for h in digest.health] == []


# ---------------------------------------------------------------- daylight saving time


def test_the_digest_across_a_dst_change_covers_23_hours(
    engine: Engine, settings: Settings, newsroom: Newsroom
) -> None:
    """Berlin moves to summer time on 29 March 2026: 07:30 CET on the 28th to 07:30 CEST on
    the 29th is 23 hours. A story seen at 07:00 CET on the 28th belongs to the 28th."""
    route = digest_route(timezone="Europe/Berlin")
    at = {
        "day before": (HYDRO, datetime(2026, 3, 28, 6, 0, tzinfo=UTC)),  # 07:00 CET
        "first": (STADIUM, datetime(2026, 3, 28, 6, 45, tzinfo=UTC)),  # 07:45 CET
        "last": (UXO, datetime(2026, 3, 29, 5, 15, tzinfo=UTC)),  # 07:15 CEST
        "day after": (VISA, datetime(2026, 3, 29, 5, 45, tzinfo=UTC)),  # 07:45 CEST
    }
    for story, when in at.values():
        newsroom.publish(story, when)
    dst_day = date(2026, 3, 29)

    queued = queue_digests(
        engine, settings, [route], now=datetime(2026, 3, 29, 8, 0, tzinfo=BERLIN)
    )

    assert outcomes(queued) == [(dst_day, "queued")]
    (row,) = digest_rows(engine)
    assert titles_in(text_of(row)) == {STADIUM["title"], UXO["title"]}
    assert "2026-03-28 07:30 to 2026-03-29 07:30 (Europe/Berlin)" in text_of(row)
    with Session(engine) as session:
        digest = compose_for(session, route, dst_day, settings)
        next_day = compose_for(session, route, dst_day + timedelta(days=1), settings)
    assert digest.end - digest.start == timedelta(hours=23)
    assert next_day.end - next_day.start == timedelta(hours=24)
    assert {e.title for s in next_day.sections for e in s.entries} == {VISA["title"]}

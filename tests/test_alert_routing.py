"""Which alerts go where, and when: quiet hours hold a route's instant messages back until
they end (without spending an attempt) but never a digest or an operator alert; an old
story found by a backfill goes to the digest only (KIZUNA_BACKFILL_DAYS overrides the
window); instant routes filtered by source or area get only their stories; a mistake in
alerts.yaml is one clear line from `kizuna config`, which also says why each route is on
or off."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from alerts import ops
from alerts.digests import compose_for, queue_digests, upcoming_day
from alerts.sender import flush
from config.registry import load_routes
from config.settings import get_settings
from kizuna.ingest import Ingestor
from storage.db import session_scope
from storage.models import Outbox, utcnow

from alerting import Receiver, aware, outbox_rows, webhook_receiver
from conftest import Env, config_dir, one_error_line

VIENTIANE = ZoneInfo("Asia/Vientiane")


def item(url: str, title: str, text: str, source: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, "title": title, "text": text, "source": source, **extra}


STADIUM = item(
    "https://www.vientianetimes.org.la/stadium-reopens",
    "Japan and Laos reopen Chao Anouvong Stadium",
    "The Chao Anouvong Stadium in Vientiane reopened on Saturday after reconstruction funded "
    "by Japan. Officials of Japan and Laos attended the ceremony.",
    "vientiane-times",
)  # ¶18, people-to-people
UXO = item(
    "https://kpl.gov.la/En/Detail.aspx?id=70001",
    "Japan funds UXO clearance in Xieng Khouang",
    "Japan will provide new funding for unexploded ordnance (UXO) clearance in Xieng Khouang "
    "province, the Japanese Embassy in Vientiane said. The Lao UXO programme will clear 500 "
    "hectares.",
    "kpl-en",
)  # ¶9, economic-social
HYDRO = item(
    "https://laotiantimes.com/japan-hydropower-grid",
    "Japan backs Lao hydropower grid",
    "Japan and Laos agreed to cooperate on hydropower and a stable power supply so Laos can "
    "become a regional clean energy hub, officials said in Vientiane.",
    "laotian-times",
)  # ¶6, economic-social


# ---------------------------------------------------------------- helpers


def use_routes(kenv: Env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, yaml_text: str) -> Path:
    """A config dir holding this alerts.yaml (the other registries are the packaged ones),
    for this process and the `kizuna` children."""
    config = config_dir(tmp_path, {"alerts.yaml": yaml_text})
    kenv.setenv(monkeypatch, KIZUNA_CONFIG_DIR=str(config))
    return config


@pytest.fixture
def ops_receiver() -> Iterator[Receiver]:
    with webhook_receiver() as state:
        yield state


def clock(moment: datetime) -> str:
    return moment.astimezone(VIENTIANE).strftime("%H:%M")


def next_at(hhmm: str, after: datetime) -> datetime:
    """The first moment after `after` when Vientiane's wall clock shows `hhmm`."""
    local = after.astimezone(VIENTIANE)
    candidate = datetime.combine(local.date(), time.fromisoformat(hhmm), tzinfo=VIENTIANE)
    return candidate if candidate > local else candidate + timedelta(days=1)


def write_jsonl(path: Path, *items: dict[str, Any]) -> str:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------- quiet hours


QUIET_ROUTES = """
routes:
  - key: slack-instant
    channel: slack
    kind: instant
    quiet_hours: "{quiet}"
  - key: email-digest
    channel: email
    kind: digest
    min_tier: possible
    quiet_hours: "{quiet}"
    to: [desk@example.org]
  - key: ops-slack
    channel: slack
    kind: ops
    quiet_hours: "{quiet}"
"""


def test_quiet_hours_hold_instant_alerts_but_not_digests_or_ops(
    kenv: Env,
    engine: Engine,
    receiver: Receiver,
    ops_receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    now = utcnow()
    quiet = f"{clock(now - timedelta(hours=1))}-{clock(now + timedelta(hours=1))}"
    use_routes(kenv, monkeypatch, tmp_path, QUIET_ROUTES.format(quiet=quiet))
    settings = kenv.setenv(
        monkeypatch,
        KIZUNA_SLACK_WEBHOOK_URL=receiver.url,
        KIZUNA_OPS_SLACK_WEBHOOK_URL=ops_receiver.url,
        KIZUNA_EMAIL_BACKEND="file",
        KIZUNA_SLACK_MIN_INTERVAL="0",
    )
    routes = load_routes(settings.config_dir)
    assert Ingestor(engine, settings).ingest(dict(STADIUM)).alerts == 1
    queued = queue_digests(engine, settings, routes)
    assert [q.outcome for q in queued] == ["queued"]
    with session_scope(engine) as session:
        ops.health_changed(
            session,
            routes,
            settings,
            source="kpl-en",
            old="ok",
            new="broken",
            reason="entry pages hold no article link",
            when=now,
        )
    outbox = tmp_path / "outbox"

    report = flush(engine, settings, file_dir=outbox)

    assert (report.sent, report.deferred, report.retrying, report.failed) == (2, 1, 0, 0)
    assert receiver.posts == []  # the story waits for the end of quiet hours
    assert len(ops_receiver.delivered) == 1  # the operator is told at once
    assert "kpl-en" in ops_receiver.delivered[0]["text"]
    assert len(list(outbox.glob("*.eml"))) == 1  # and the digest goes out
    held = {r.kind: r for r in outbox_rows(engine)}
    instant = held["instant"]
    assert instant.status == "pending"
    assert instant.attempts == 0  # holding back is not a failed attempt
    end = quiet.split("-")[1]
    assert aware(instant.next_attempt_at) == next_at(end, now)
    assert instant.last_error == f"quiet hours until {end}"
    assert (held["digest"].status, held["ops"].status) == ("sent", "sent")

    # Not due again before the end: flushing again sends nothing and holds nothing.
    again = flush(engine, settings, file_dir=outbox)
    assert (again.sent, again.deferred) == (0, 0)
    assert receiver.posts == []

    # When the quiet hours are over (here: the next ones start later today) it is sent.
    with session_scope(engine) as session:
        row = session.get(Outbox, instant.id)
        assert row is not None
        row.next_attempt_at = utcnow()
        session.add(row)
    later = f"{clock(now + timedelta(hours=2))}-{clock(now + timedelta(hours=3))}"
    use_routes(kenv, monkeypatch, tmp_path, QUIET_ROUTES.format(quiet=later))
    settings = get_settings()
    done = flush(engine, settings, file_dir=outbox)
    assert (done.sent, done.deferred) == (1, 0)
    assert len(receiver.delivered) == 1
    assert "Chao Anouvong Stadium" in receiver.delivered[0]["text"]


# ---------------------------------------------------------------- backfill


def test_an_old_story_goes_to_the_digest_only_unless_backfill_days_says_otherwise(
    kenv: Env, engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = kenv.setenv(
        monkeypatch, KIZUNA_SLACK_BACKEND="file", KIZUNA_DIGEST_TO="desk@example.org"
    )
    today = datetime.now(VIENTIANE).date()
    old = dict(STADIUM, published_at=(today - timedelta(days=30)).isoformat())
    recent = dict(UXO, published_at=(today - timedelta(days=13)).isoformat())
    ingestor = Ingestor(engine, settings)

    assert ingestor.ingest(dict(old)).alerts == 0
    assert ingestor.ingest(dict(recent)).alerts == 1

    assert [r.payload["view"]["title"] for r in outbox_rows(engine, kind="instant")] == [
        recent["title"]
    ]
    # The old story is in the digest of the day Kizuna found it.
    route = next(r for r in load_routes(settings.config_dir) if r.kind == "digest")
    day = upcoming_day(route, settings)
    with Session(engine) as session:
        digest = compose_for(session, route, day, settings).render_text()
    assert old["title"] in digest and recent["title"] in digest

    # KIZUNA_BACKFILL_DAYS=60 (here in a `kizuna ingest` child) widens the window ...
    older = dict(HYDRO, published_at=(today - timedelta(days=30)).isoformat())
    wide = kenv.run(
        "ingest", write_jsonl(tmp_path / "b.jsonl", older), extra={"KIZUNA_BACKFILL_DAYS": "60"}
    )
    assert wide.returncode == 0, wide.stderr
    assert "new 1," in wide.stdout and "1 alerts queued" in wide.stdout
    # ... and KIZUNA_BACKFILL_DAYS=1 narrows it: a 2-day-old story is a backfill.
    narrow = kenv.setenv(monkeypatch, KIZUNA_BACKFILL_DAYS="1")
    visa = item(
        "https://kpl.gov.la/En/Detail.aspx?id=70009",
        "Laos extends visa exemption for Japanese visitors to 30 days",
        "Laos will extend the visa exemption for Japanese tourists from 15 to 30 days to boost "
        "tourism cooperation with Japan, the Lao tourism ministry said.",
        "kpl-en",
        published_at=(today - timedelta(days=2)).isoformat(),
    )
    assert Ingestor(engine, narrow).ingest(visa).alerts == 0
    assert sorted(r.payload["view"]["title"] for r in outbox_rows(engine, kind="instant")) == [
        older["title"],
        recent["title"],
    ]


# ---------------------------------------------------------------- filters on instant routes


FILTERED_ROUTES = """
routes:
  - key: kpl-desk
    channel: slack
    kind: instant
    sources: [kpl-en]
    webhook_env: KIZUNA_SLACK_KPL_DESK
  - key: economy-desk
    channel: slack
    kind: instant
    areas: [economic-social]
    webhook_env: KIZUNA_SLACK_ECONOMY_DESK
"""


def test_instant_routes_get_only_the_sources_and_areas_they_ask_for(
    kenv: Env,
    engine: Engine,
    receiver: Receiver,
    ops_receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    kpl_desk, economy_desk = receiver, ops_receiver
    use_routes(kenv, monkeypatch, tmp_path, FILTERED_ROUTES)
    settings = kenv.setenv(
        monkeypatch,
        KIZUNA_SLACK_KPL_DESK=kpl_desk.url,
        KIZUNA_SLACK_ECONOMY_DESK=economy_desk.url,
        KIZUNA_SLACK_MIN_INTERVAL="0",
    )
    ingestor = Ingestor(engine, settings)
    queued = {s["title"]: ingestor.ingest(dict(s)).alerts for s in (STADIUM, UXO, HYDRO)}

    assert queued == {STADIUM["title"]: 0, UXO["title"]: 2, HYDRO["title"]: 1}
    assert sorted((r.route, r.payload["view"]["title"]) for r in outbox_rows(engine)) == [
        ("economy-desk", HYDRO["title"]),
        ("economy-desk", UXO["title"]),
        ("kpl-desk", UXO["title"]),
    ]
    report = flush(engine, settings, file_dir=tmp_path / "outbox")
    assert report.sent == 3
    assert len(kpl_desk.delivered) == 1 and UXO["title"] in kpl_desk.delivered[0]["text"]
    economy = sorted(
        next(t for t in (UXO["title"], HYDRO["title"]) if t in p["text"])
        for p in economy_desk.delivered
    )
    assert economy == sorted([UXO["title"], HYDRO["title"]])


# ---------------------------------------------------------------- `kizuna config`


ROUTE = "routes:\n  - key: desk\n    channel: {channel}\n    kind: {kind}\n{extra}"

BAD_ROUTES = [
    pytest.param(
        ROUTE.format(channel="slack", kind="instant", extra="    commitments: [csp2025-99]\n"),
        "routes[desk].commitments",
        ["unknown commitment 'csp2025-99'", "kizuna commitments"],
        id="unknown-commitment",
    ),
    pytest.param(
        ROUTE.format(channel="slack", kind="instant", extra="    sources: [kpl-xx]\n"),
        "routes[desk].sources",
        ["unknown source 'kpl-xx'", "kizuna sources"],
        id="unknown-source",
    ),
    pytest.param(
        ROUTE.format(channel="slack", kind="digest", extra=""),
        "routes[desk]",
        ["Slack", "digests go by email"],
        id="slack-digest",
    ),
    pytest.param(
        ROUTE.format(channel="email", kind="digest", extra="    timezone: Mars/Olympus\n"),
        "routes[desk].timezone",
        ["unknown time zone 'Mars/Olympus'"],
        id="bad-timezone",
    ),
    pytest.param(
        ROUTE.format(channel="slack", kind="instant", extra='    quiet_hours: "22:00-25:00"\n'),
        "routes[desk].quiet_hours",
        ["HH:MM-HH:MM"],
        id="bad-quiet-hours",
    ),
]


@pytest.mark.parametrize(("yaml_text", "where", "says"), BAD_ROUTES)
def test_a_mistake_in_alerts_yaml_is_one_clear_line(
    kenv: Env,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    yaml_text: str,
    where: str,
    says: list[str],
) -> None:
    config = use_routes(kenv, monkeypatch, tmp_path, yaml_text)

    result = kenv.run("config")

    line = one_error_line(result)
    assert result.stdout == ""  # nothing that looks like a working configuration
    assert f"{config / 'alerts.yaml'}: {where}" in line
    for fragment in says:
        assert fragment in line


def test_quiet_hours_in_a_bad_form_are_rejected(
    kenv: Env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Whatever the wording, 10pm-6am or 22:00 never becomes a silent no-op (22:00-25:00
    is the bad-quiet-hours case of BAD_ROUTES)."""
    for quiet in ("10pm-6am", "22:00"):
        extra = f'    quiet_hours: "{quiet}"\n'
        use_routes(
            kenv, monkeypatch, tmp_path, ROUTE.format(channel="slack", kind="instant", extra=extra)
        )
        line = one_error_line(kenv.run("config"))
        assert "alerts.yaml: routes[desk].quiet_hours" in line, quiet


def route_lines(stdout: str) -> dict[str, str]:
    """route key -> the "on: ..." or "off: ..." that `kizuna config` says about it."""
    return dict(re.findall(r"^route (\S+) \(\w+ \w+\): (.+)$", stdout, flags=re.M))


def test_kizuna_config_says_why_each_route_is_on_or_off(
    kenv: Env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = "http://127.0.0.1:9/services/T000/B000/SECRETTOKEN123"
    kenv.vars.update(
        KIZUNA_SLACK_WEBHOOK_URL=secret,
        KIZUNA_DIGEST_TO="desk@example.org, chief@example.org",
        KIZUNA_SMTP_HOST="127.0.0.1",
        KIZUNA_SMTP_PORT="2525",
    )

    default = kenv.run("config")

    assert default.returncode == 0, default.stderr
    assert route_lines(default.stdout) == {
        "slack-instant": "on: incoming webhook (KIZUNA_SLACK_WEBHOOK_URL)",
        "email-digest": "on: SMTP 127.0.0.1:2525, 2 recipient(s)",
        "ops-slack": "off: KIZUNA_OPS_SLACK_WEBHOOK_URL is not set",
        "ops-email": "off: no recipients (`to:` or KIZUNA_OPS_EMAIL_TO)",
    }
    assert "SECRETTOKEN123" not in default.stdout + default.stderr

    use_routes(
        kenv,
        monkeypatch,
        tmp_path,
        """
routes:
  - key: paused
    channel: slack
    kind: instant
    enabled: false
  - key: kpl-desk
    channel: slack
    kind: instant
    webhook_env: KIZUNA_SLACK_KPL_DESK
  - key: files
    channel: email
    kind: digest
    to: [desk@example.org]
""",
    )
    custom = kenv.run("config", extra={"KIZUNA_SMTP_HOST": "", "KIZUNA_EMAIL_BACKEND": "smtp"})
    assert custom.returncode == 0, custom.stderr
    assert route_lines(custom.stdout) == {
        "paused": "off: enabled: false",
        "kpl-desk": "off: KIZUNA_SLACK_KPL_DESK is not set",
        "files": "off: KIZUNA_SMTP_HOST is not set",
    }
    as_files = kenv.run("config", extra={"KIZUNA_EMAIL_BACKEND": "file"})
    assert (
        route_lines(as_files.stdout)["files"]
        == "on: .eml files under var/outbox/ for 1 recipient(s)"
    )

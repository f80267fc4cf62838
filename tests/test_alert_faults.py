"""Alert delivery under faults, end to end with real parts (a webhook receiver and an SMTP
server on 127.0.0.1, `kizuna` child processes, SQLite or PostgreSQL). Whatever goes wrong,
every alert is delivered exactly once:

- the SMTP server is down when a digest is due: the send fails, says it will retry, and the
  digest goes out once when the server is back (never again on later sends);
- Slack answers 429 with Retry-After: nothing is posted before that many seconds, then once;
- three 500s then 200: retried with backoff, one delivered post, four posts in all;
- the sender is killed between claiming a row and posting it: the row stays leased until
  the lease expires, then another sender posts it, once;
- a channel that always fails: its row ends failed, the operator is emailed over SMTP,
  other routes are unaffected, `kizuna alerts flush` exits 1, `kizuna alerts retry`
  queues it again;
- a source that becomes blocked raises one ops alert, not one per crawl.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from alerts.sender import flush
from config.settings import Settings
from kizuna.fixture_server import FixtureServer, FixtureSite
from kizuna.ingest import Ingestor
from storage.db import session_scope
from storage.models import Outbox, Story

from alerting import Receiver, SmtpServer, aware, outbox_rows, wait_for, webhook_receiver
from conftest import Env, config_dir, ok
from test_crawl_robustness import BLOCKING, Lab

STADIUM_ITEM = {
    "url": "https://example.org/news/stadium",
    "title": "Japan and Laos reopen Chao Anouvong Stadium",
    "text": "The Chao Anouvong Stadium in Vientiane reopened on Saturday after reconstruction "
    "funded by Japan. Officials of Japan and Laos attended the ceremony.",
    "source": "example-news",
}
UXO_ITEM = {
    "url": "https://example.org/news/uxo-grant",
    "title": "Japan funds UXO clearance in Xieng Khouang",
    "text": "Japan will fund unexploded ordnance (UXO) clearance in Xieng Khouang province, "
    "the Japanese embassy in Vientiane said. The grant supports UXO Lao clearance teams.",
    "source": "example-news",
}
STADIUM = "Chao Anouvong Stadium"
UXO = "UXO clearance in Xieng Khouang"
READER = "reader@example.org"
OPERATOR = "ops@example.org"


# ---------------------------------------------------------------- helpers


def ingest(settings: Settings, engine: Engine, *items: dict[str, str]) -> None:
    ingestor = Ingestor(engine, settings)
    for item in items:
        assert ingestor.ingest(dict(item)).status == "new"


def one_row(engine: Engine, **where: str) -> Outbox:
    found = outbox_rows(engine, **where)
    assert len(found) == 1, [(r.id, r.route, r.kind, r.status) for r in outbox_rows(engine)]
    return found[0]


def sleep_until_due(row: Outbox, limit: float = 10.0) -> None:
    wait = (aware(row.next_attempt_at) - datetime.now(UTC)).total_seconds()
    assert wait <= limit, f"row {row.id} is due only in {wait:.1f} s"
    time.sleep(max(0.0, wait) + 0.05)


# ---------------------------------------------------------------- 1. SMTP down


def test_digest_waits_for_smtp_and_is_mailed_once_when_it_is_back(
    kenv: Env, monkeypatch: pytest.MonkeyPatch, engine: Engine, smtp: SmtpServer
) -> None:
    settings = kenv.setenv(
        monkeypatch, **smtp.env(), KIZUNA_DIGEST_TO=READER, KIZUNA_ALERT_RETRY_BASE="1"
    )
    ingest(settings, engine, STADIUM_ITEM)
    # Into the window of the latest closed digest day (the 24 hours before its 07:30).
    with session_scope(engine) as session:
        for story in session.exec(select(Story)).all():
            story.created_at = story.created_at - timedelta(days=1)
            session.add(story)

    smtp.stop()
    down = kenv.run("digest", "--send")
    assert down.returncode != 0, down.stdout
    assert "Traceback" not in down.stderr
    assert "will be retried" in down.stderr, down.stdout + down.stderr
    assert "email-digest" in down.stdout and "queued" in down.stdout
    row = one_row(engine, kind="digest")
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error is not None and "unreachable" in row.last_error
    assert f"127.0.0.1:{smtp.port}" in row.last_error
    assert smtp.mails == []

    smtp.start()
    sleep_until_due(row)
    ok(kenv.run("alerts", "flush"))
    assert len(smtp.mails) == 1
    mail = smtp.mails[0]
    assert mail.recipients == [READER]
    assert mail.subject == row.payload["message"]["subject"]
    assert STADIUM in mail.part("plain") and STADIUM in mail.part("html")
    row = one_row(engine, kind="digest")
    assert (row.status, row.attempts) == ("sent", 2)

    # Sending again (the scheduler, an operator) never mails the same digest twice.
    again = ok(kenv.run("digest", "--send"))
    assert "sent 0" in again.stdout and "queued" not in again.stdout
    assert len(smtp.mails) == 1
    assert len(outbox_rows(engine)) == 1
    assert flush(engine, settings).sent == 0
    assert len(smtp.mails) == 1


# ---------------------------------------------------------------- 2. Retry-After


def test_rate_limited_post_waits_for_retry_after_then_is_delivered_once(
    kenv: Env, monkeypatch: pytest.MonkeyPatch, engine: Engine, receiver: Receiver
) -> None:
    settings = kenv.setenv(monkeypatch, KIZUNA_SLACK_WEBHOOK_URL=receiver.url)
    receiver.script = [(429, {"Retry-After": "2"}, b"rate_limited")]
    ingest(settings, engine, STADIUM_ITEM)

    first = ok(kenv.run("alerts", "flush"))
    assert "retrying later 1" in first.stdout
    row = one_row(engine)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error is not None and "429" in row.last_error
    # Due Retry-After after the 429 (not after the 15-30 s backoff of a 500): the post time
    # is the receiver's monotonic clock mapped to wall time.
    posted_at = datetime.now(UTC) - timedelta(seconds=time.monotonic() - receiver.times[0])
    due = aware(row.next_attempt_at)
    assert posted_at + timedelta(seconds=1.9) <= due <= posted_at + timedelta(seconds=3.5)

    # Flushing again before then posts nothing.
    early = flush(engine, settings)
    assert (early.sent, early.retrying) == (0, 0)
    assert len(receiver.posts) == 1

    sleep_until_due(row)
    ok(kenv.run("alerts", "flush"))
    assert len(receiver.posts) == 2 and len(receiver.delivered) == 1
    assert receiver.times[1] - receiver.times[0] >= 2.0, "retried before Retry-After"
    assert STADIUM in receiver.delivered[0]["text"]
    row = one_row(engine)
    assert (row.status, row.attempts) == ("sent", 2)

    assert flush(engine, settings).sent == 0
    assert len(receiver.posts) == 2


# ---------------------------------------------------------------- 3. 500, 500, 500, 200


def test_three_server_errors_then_success_deliver_one_message(
    kenv: Env, monkeypatch: pytest.MonkeyPatch, engine: Engine, receiver: Receiver
) -> None:
    settings = kenv.setenv(
        monkeypatch, KIZUNA_SLACK_WEBHOOK_URL=receiver.url, KIZUNA_ALERT_RETRY_BASE="0.2"
    )
    receiver.script = [(500, {}, b"internal_error")] * 3
    ingest(settings, engine, STADIUM_ITEM)

    # The first attempt by `kizuna alerts flush`, the retries by the sender it runs.
    first = ok(kenv.run("alerts", "flush"))
    assert "retrying later 1" in first.stdout
    reports = []
    for _ in range(8):
        row = one_row(engine)
        if row.status != "pending":
            break
        assert row.last_error is not None and "500" in row.last_error
        sleep_until_due(row)
        reports.append(flush(engine, settings))

    assert [(r.sent, r.retrying, r.failed) for r in reports] == [(0, 1, 0), (0, 1, 0), (1, 0, 0)]
    assert len(receiver.posts) == 4
    assert len(receiver.delivered) == 1 and STADIUM in receiver.delivered[0]["text"]
    assert all(p == receiver.posts[0] for p in receiver.posts)  # the same message each time
    row = one_row(engine)
    assert (row.status, row.attempts) == ("sent", 4)
    assert row.sent_at is not None and row.last_error is None

    again = ok(kenv.run("alerts", "flush"))
    assert "sent 0" in again.stdout
    assert len(receiver.posts) == 4


# ---------------------------------------------------------------- 4. killed mid-send


def test_sender_killed_between_claim_and_post_is_taken_over_after_the_lease(
    kenv: Env, monkeypatch: pytest.MonkeyPatch, engine: Engine, receiver: Receiver, tmp_path: Path
) -> None:
    lease = 2.0
    values = {
        "KIZUNA_SLACK_WEBHOOK_URL": receiver.url,
        "KIZUNA_ALERT_LEASE_SECONDS": str(lease),
        "KIZUNA_SLACK_MIN_INTERVAL": "3",
    }
    settings = kenv.setenv(monkeypatch, **values)
    ingest(settings, engine, STADIUM_ITEM, UXO_ITEM)
    first_id, second_id = (r.id for r in outbox_rows(engine))

    def stuck_on_second() -> bool:
        if len(receiver.posts) != 1:
            return False
        status = {r.id: r.status for r in outbox_rows(engine)}
        return status == {first_id: "sent", second_id: "sending"}

    log = tmp_path / "flush.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kizuna", "alerts", "flush"],
            cwd=kenv.cwd,
            env={**os.environ, **kenv.vars},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            # Row 2 is claimed, and the sender waits out Slack's pacing before posting it.
            assert wait_for(stuck_on_second, timeout=30), log.read_text()
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    assert len(receiver.posts) == 1 and STADIUM in receiver.posts[0]["text"]
    stuck = one_row(engine, status="sending")
    assert stuck.id == second_id and stuck.claimed_at is not None
    sent = one_row(engine, status="sent")
    assert sent.sent_at is not None
    # One row at a time: row 2 was claimed after row 1 had been sent.
    assert aware(stuck.claimed_at) >= aware(sent.sent_at)
    held_until = aware(stuck.claimed_at) + timedelta(seconds=lease)
    assert datetime.now(UTC) < held_until - timedelta(seconds=0.5), "too slow to check the lease"

    # Another sender right away: the lease still holds, nothing is posted.
    early = flush(engine, settings)
    assert (early.sent, early.retrying, early.failed) == (0, 0, 0)
    assert len(receiver.posts) == 1
    assert one_row(engine, status="sending").id == second_id

    time.sleep(max(0.0, (held_until - datetime.now(UTC)).total_seconds()) + 0.1)
    done = ok(kenv.run("alerts", "flush"))
    assert "sent 1" in done.stdout
    assert len(receiver.posts) == 2 and len(receiver.delivered) == 2
    texts = receiver.texts()
    assert sum(STADIUM in t for t in texts) == 1
    assert sum(UXO in t for t in texts) == 1
    assert [r.status for r in outbox_rows(engine)] == ["sent", "sent"]

    assert flush(engine, settings).sent == 0
    assert len(receiver.posts) == 2


# ---------------------------------------------------------------- 5. a channel that always fails


def test_channel_that_always_fails_is_given_up_and_the_operator_is_mailed(
    kenv: Env,
    monkeypatch: pytest.MonkeyPatch,
    engine: Engine,
    receiver: Receiver,
    smtp: SmtpServer,
    tmp_path: Path,
) -> None:
    routes = [
        {"key": "slack-instant", "channel": "slack", "kind": "instant", "min_tier": "match"},
        {
            "key": "team-slack",
            "channel": "slack",
            "kind": "instant",
            "min_tier": "match",
            "webhook_env": "KIZUNA_TEST_TEAM_WEBHOOK",
        },
        {"key": "ops-email", "channel": "email", "kind": "ops"},
    ]
    config = config_dir(tmp_path, {"alerts.yaml": {"routes": routes}})
    receiver.status, receiver.body = 500, b"internal_error"
    with webhook_receiver() as team:
        settings = kenv.setenv(
            monkeypatch,
            **smtp.env(),
            KIZUNA_CONFIG_DIR=str(config),
            KIZUNA_SLACK_WEBHOOK_URL=receiver.url,
            KIZUNA_TEST_TEAM_WEBHOOK=team.url,
            KIZUNA_OPS_EMAIL_TO=OPERATOR,
            KIZUNA_ALERT_MAX_ATTEMPTS="2",
            KIZUNA_ALERT_RETRY_BASE="0.2",
        )
        ingest(settings, engine, STADIUM_ITEM)
        assert sorted(r.route for r in outbox_rows(engine)) == ["slack-instant", "team-slack"]

        first = ok(kenv.run("alerts", "flush"))
        assert "sent 1" in first.stdout and "retrying later 1" in first.stdout
        assert len(team.delivered) == 1 and STADIUM in team.delivered[0]["text"]
        sleep_until_due(one_row(engine, route="slack-instant"))

        second = kenv.run("alerts", "flush")
        assert second.returncode == 1, second.stdout + second.stderr
        assert "failed for good" in second.stderr and "Traceback" not in second.stderr

        failing = one_row(engine, route="slack-instant")
        assert (failing.status, failing.attempts) == ("failed", 2)
        assert failing.last_error is not None and "500" in failing.last_error
        assert len(receiver.posts) == 2 and receiver.delivered == []
        # The other route got its message, once, and is done.
        assert len(team.posts) == 1
        assert one_row(engine, route="team-slack").status == "sent"

        # The operator is told, by email, which route failed and why.
        assert len(smtp.mails) == 1
        mail = smtp.mails[0]
        assert mail.recipients == [OPERATOR]
        assert "slack-instant" in mail.subject and "failed" in mail.subject
        body = mail.part("plain")
        assert "500" in body and "internal_error" in body
        assert f"kizuna alerts retry {failing.id}" in body
        assert receiver.url not in body and "SECRETTOKEN123" not in body
        assert one_row(engine, kind="ops").status == "sent"

        # Given up means given up: flushing again neither posts nor mails.
        assert flush(engine, settings).sent == 0
        assert len(receiver.posts) == 2 and len(smtp.mails) == 1

        # The operator fixes the channel and queues the alert again.
        retried = ok(kenv.run("alerts", "retry"))
        assert "1 failed alert(s) queued again" in retried.stdout
        row = one_row(engine, route="slack-instant")
        assert (row.status, row.attempts) == ("pending", 0)
        receiver.status = 200
        ok(kenv.run("alerts", "flush"))
        assert len(receiver.delivered) == 1 and STADIUM in receiver.delivered[0]["text"]
        assert one_row(engine, route="slack-instant").status == "sent"
        assert len(team.posts) == 1 and len(smtp.mails) == 1


# ---------------------------------------------------------------- 6. a source becomes blocked


def test_blocked_source_raises_one_ops_alert_not_one_per_crawl(
    kenv: Env, monkeypatch: pytest.MonkeyPatch, engine: Engine, receiver: Receiver, tmp_path: Path
) -> None:
    lab = Lab(tmp_path / "lab")
    lab.site(
        "cloudflare",
        {"/news/": {"file": "cf.html", "status": 403, "headers": {"Server": "cloudflare"}}},
        {"cf.html": (BLOCKING / "cloudflare.html").read_text(encoding="utf-8")},
    )
    config = lab.config_dir()
    with FixtureServer(FixtureSite.load(tmp_path / "lab/cloudflare")) as server:
        settings = kenv.setenv(
            monkeypatch,
            KIZUNA_CONFIG_DIR=str(config),
            KIZUNA_MIRRORS=f"{server.site.origin}={server.base_url}",
            KIZUNA_OFFLINE="1",
            KIZUNA_OPS_SLACK_WEBHOOK_URL=receiver.url,
        )
        crawled = kenv.run("crawl", "cloudflare")
        assert "cloudflare (blocked)" in crawled.stderr, crawled.stdout + crawled.stderr
        assert flush(engine, settings).sent == 1
        assert len(receiver.delivered) == 1
        alert = receiver.delivered[0]
        assert "source cloudflare is blocked" in alert["text"]
        assert "cloudflare" in json.dumps(alert["blocks"]).lower()

        # Still blocked on the next crawl: no news, no second alert.
        again = kenv.run("crawl", "cloudflare")
        assert "cloudflare (blocked)" in again.stderr, again.stdout + again.stderr
        assert flush(engine, settings).sent == 0
    assert len(receiver.posts) == 1
    ops = outbox_rows(engine, kind="ops")
    assert [(r.route, r.status) for r in ops] == [("ops-slack", "sent")]

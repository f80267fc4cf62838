"""Alerts as the reader gets them: Slack messages escaped and inside Slack's limits, the digest
escaped in HTML and raw in text, and delivery to a real webhook receiver on 127.0.0.1 that
sends each story once, keeps failures queued and honours Retry-After."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from alerts.digest import compose
from alerts.digests import upcoming_day
from alerts.sender import flush
from alerts.slack import FALLBACK_LIMIT, HEADER_LIMIT, MAX_BLOCKS, SECTION_LIMIT, story_message
from alerts.views import HitView, StoryView
from config.settings import Settings, get_settings
from kizuna.ingest import Ingestor

from alerting import Receiver, aware, outbox_rows
from conftest import Env

EVIL_TITLE = 'Japan & Laos <script>alert("x")</script> deal > expectations <!channel>'
EVIL_EVIDENCE = "The <script>steal()</script> grant & more > less. " + "UXO clearance " * 360

XSS_TAG = "<img src=x onerror=alert(1)>"
XSS_ITEM = {
    "url": "https://example.org/news/stadium-xss",
    "title": f"Japan and Laos reopen Chao Anouvong Stadium {XSS_TAG}",
    "text": "The Chao Anouvong Stadium in Vientiane reopened on Saturday after reconstruction "
    "funded by Japan. Officials of Japan and Laos attended the ceremony.",
    "source": "example-news",
}
RAILWAY_ITEM = {
    "url": "https://example.org/news/railway-freight",
    "title": "Laos-China Railway freight volume rises",
    "text": "The Laos-China Railway carried more cargo in Laos this quarter, Chinese and Lao "
    "officials said in Vientiane.",
    "source": "example-news",
}


# ---------------------------------------------------------------- Slack message


def evil_story(hits: int = 60) -> StoryView:
    return StoryView(
        story_id=1,
        title=EVIL_TITLE,
        url="https://example.org/a?x=1&y=<2>|3",
        source="example & <news>",
        published_at=datetime(2025, 3, 1, 2, 0, tzinfo=UTC),
        lang="en",
        hits=[
            HitView(f"k{i}", i, f"Commitment <b>{i}</b> & co", "match", 0.9, EVIL_EVIDENCE)
            for i in range(hits)
        ],
    )


def mrkdwn_texts(message: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for block in message["blocks"]:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts.extend(e["text"] for e in block["elements"])
    return texts


def test_story_message_escapes_scraped_text() -> None:
    message = story_message(evil_story())
    texts = mrkdwn_texts(message)
    joined = "\n".join(texts)

    assert "<script>" not in joined and "</script>" not in joined
    assert "&lt;script&gt;" in joined
    assert "Japan &amp; Laos" in joined
    assert "deal &gt; expectations" in joined
    assert "<!channel>" not in joined
    assert "&lt;b&gt;" in joined  # commitment titles are escaped too
    assert "example &amp; &lt;news&gt;" in joined
    # The only raw angle brackets left are Slack's own link syntax around the story URL.
    link = texts[0]
    assert link.startswith("*<https://example.org/a?x=1&y=") and link.endswith(">*")
    assert link.count("<") == 1 and link.count(">") == 1


def test_story_message_stays_inside_slack_limits() -> None:
    message = story_message(evil_story(60))
    blocks = message["blocks"]

    assert len(blocks) <= MAX_BLOCKS == 50
    header = [b for b in blocks if b["type"] == "header"]
    assert len(header) == 1
    assert header[0]["text"]["type"] == "plain_text"
    assert 0 < len(header[0]["text"]["text"]) <= HEADER_LIMIT == 150
    for text in mrkdwn_texts(message):
        assert len(text) <= SECTION_LIMIT == 3000
    assert isinstance(message["text"], str) and message["text"]
    assert len(message["text"]) <= FALLBACK_LIMIT == 4000
    # The 5,000-character evidence was cut, but the hit is still shown.
    assert len(EVIL_EVIDENCE) > 5000
    assert any("UXO clearance" in t for t in mrkdwn_texts(message))
    # Context (source and date) survives even when hits had to be dropped.
    assert blocks[-1]["type"] == "context"
    assert "2025-03-01" in blocks[-1]["elements"][0]["text"]


def test_story_message_fallback_text_is_escaped() -> None:
    fallback = story_message(evil_story(1))["text"]
    assert "<!channel>" not in fallback
    assert "<script>" not in fallback


# ---------------------------------------------------------------- digest


def test_digest_escapes_html_but_not_text(kenv: Env, engine: Engine) -> None:
    settings = get_settings()
    ingestor = Ingestor(engine, settings)
    assert ingestor.ingest(dict(XSS_ITEM)).status == "new"
    assert ingestor.ingest(dict(RAILWAY_ITEM)).status == "new"

    day = upcoming_day(None, settings)
    with Session(engine) as session:
        digest = compose(session, day, settings.tz)
    html, text = digest.render_html(), digest.render_text()

    section = next(s for s in digest.sections if s.paragraph == 18)
    assert [e.title for e in section.entries] == [XSS_ITEM["title"]]
    assert XSS_TAG not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert XSS_TAG in text  # plain text is not HTML: shown as written
    # The entry sits under the ¶18 heading, in both renderings.
    html_section = html[html.index("¶18 ") :]
    html_section = html_section[: html_section.find("<h2", 1)]
    assert "&lt;img src=x onerror=alert(1)&gt;" in html_section
    text_section = text[text.index("== ¶18 ") :]
    assert XSS_TAG in text_section[: text_section.find("\n==", 1)]
    # The non-relevant story is in neither.
    assert "Railway" not in html and "Railway" not in text
    assert digest.story_count == 1


# ---------------------------------------------------------------- delivery


@pytest.fixture
def slack_settings(kenv: Env, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings = kenv.setenv(monkeypatch, KIZUNA_SLACK_WEBHOOK_URL=receiver.url)
    assert settings.slack_webhook_url is not None
    return settings


def test_story_is_posted_exactly_once(
    slack_settings: Settings, engine: Engine, receiver: Receiver
) -> None:
    ingestor = Ingestor(engine, slack_settings)
    first = ingestor.ingest(dict(XSS_ITEM))
    again = ingestor.ingest(dict(XSS_ITEM))
    assert (first.status, again.status) == ("new", "duplicate")
    assert len(outbox_rows(engine)) == 1

    report = flush(engine, slack_settings)
    assert report.sent == 1
    assert len(receiver.posts) == 1
    assert receiver.paths == ["/services/T000/B000/SECRETTOKEN123"]
    posted = receiver.posts[0]
    assert "Chao Anouvong Stadium" in posted["text"]
    assert any("¶18" in json.dumps(b, ensure_ascii=False) for b in posted["blocks"])
    assert XSS_TAG not in json.dumps(posted["blocks"])  # escaped for mrkdwn

    second = flush(engine, slack_settings)
    assert (second.sent, second.retrying, second.failed) == (0, 0, 0)
    assert len(receiver.posts) == 1
    (row,) = outbox_rows(engine)
    assert row.status == "sent" and row.sent_at is not None


def test_server_error_keeps_the_alert_queued_without_leaking_the_url(
    slack_settings: Settings, engine: Engine, receiver: Receiver
) -> None:
    receiver.status, receiver.body = 500, b"internal_error"
    Ingestor(engine, slack_settings).ingest(dict(XSS_ITEM))

    report = flush(engine, slack_settings)

    assert report.sent == 0 and report.retrying == 1
    assert len(receiver.posts) == 1
    (row,) = outbox_rows(engine)
    assert row.status == "pending"
    assert row.attempts == 1
    assert row.last_error is not None and "500" in row.last_error
    assert receiver.url not in row.last_error
    assert "SECRETTOKEN123" not in row.last_error
    # Not due again straight away: a second flush does not hammer the failing endpoint.
    flush(engine, slack_settings)
    assert len(receiver.posts) == 1


def test_rate_limit_honours_retry_after(
    slack_settings: Settings, engine: Engine, receiver: Receiver
) -> None:
    receiver.status, receiver.headers, receiver.body = 429, {"Retry-After": "7"}, b"rate_limited"
    Ingestor(engine, slack_settings).ingest(dict(XSS_ITEM))

    before = datetime.now(UTC)
    report = flush(engine, slack_settings)
    after = datetime.now(UTC)

    assert report.retrying == 1
    (row,) = outbox_rows(engine)
    assert row.status == "pending" and row.attempts == 1
    due = aware(row.next_attempt_at)
    assert before + timedelta(seconds=6) <= due <= after + timedelta(seconds=8)
    flush(engine, slack_settings)
    assert len(receiver.posts) == 1  # not retried before Retry-After has passed

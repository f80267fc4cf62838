"""Slack: the Block Kit message for a new story, and delivery to an incoming webhook.

Scraped text is escaped for mrkdwn and every block kept inside Slack's limits
(header 150 characters, section 3,000, at most 50 blocks; ENGINEERING.md §7).
"""

from __future__ import annotations

import json
import time
from datetime import tzinfo
from pathlib import Path
from typing import Any

import httpx

from alerts.channel import DeliveryError
from alerts.routing import DEFAULT_WEBHOOK_ENV, secret_from_env
from alerts.views import StoryView
from config.http import retry_after_seconds
from config.settings import Settings

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
MAX_BLOCKS = 50
FALLBACK_LIMIT = 4000


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters; everything else is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _link(url: str, label: str) -> str:
    # A URL cannot contain a raw '|' or '>' inside Slack's <url|label> syntax.
    safe_url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return f"<{safe_url}|{escape_mrkdwn(label)}>"


def story_message(story: StoryView, tz: tzinfo | None = None) -> dict[str, Any]:
    """One message per new story: commitments, linked title, source, date (in `tz`),
    evidence, tier."""
    date = story.local_date(tz)
    commitments = ", ".join(f"¶{h.paragraph} {h.title}" for h in story.hits) or "Japan–Laos news"
    if story.updated:
        commitments = f"Updated · {commitments}"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "emoji": False, "text": _cut(commitments, HEADER_LIMIT)},
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _cut(f"*{_link(story.url, story.title)}*", SECTION_LIMIT),
            },
        },
    ]
    for hit in story.hits:
        if len(blocks) >= MAX_BLOCKS - 1:
            break
        body = (
            f"*¶{hit.paragraph} · {escape_mrkdwn(hit.title)}* ({hit.tier}, "
            f"score {hit.score:.2f})\n> {escape_mrkdwn(hit.evidence)}"
        )
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _cut(body, SECTION_LIMIT)}}
        )
    source_line = escape_mrkdwn(story.source)
    if story.also_reported_by:
        source_line += " · also reported by " + escape_mrkdwn(", ".join(story.also_reported_by))
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": _cut(f"{source_line} · {date}", SECTION_LIMIT)}
            ],
        }
    )
    # The fallback is read as mrkdwn too: "<!channel>" in a scraped headline must stay text.
    fallback = escape_mrkdwn(f"{commitments}: {story.title} ({story.source}, {date}) {story.url}")
    return {
        "text": _cut(fallback, FALLBACK_LIMIT),
        "blocks": blocks[:MAX_BLOCKS],
        "unfurl_links": False,
    }


def ops_message(subject: str, text: str) -> dict[str, Any]:
    """An operator alert: a header and the details, as plain as Slack allows."""
    return {
        "text": _cut(escape_mrkdwn(f"{subject}: {text}"), FALLBACK_LIMIT),
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "emoji": False, "text": _cut(subject, HEADER_LIMIT)},
            },
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _cut(escape_mrkdwn(text), SECTION_LIMIT)},
            },
        ],
        "unfurl_links": False,
    }


class SlackChannel:
    """Posts to incoming webhooks (or appends to var/outbox/slack.jsonl with
    KIZUNA_SLACK_BACKEND=file), at most one message per `min_interval` per webhook."""

    def __init__(self, settings: Settings, file_dir: Path) -> None:
        self.settings = settings
        self.file_dir = file_dir
        self.client = httpx.Client(timeout=15)
        self._last_post: dict[str, float] = {}

    def destination(self, payload: dict[str, Any]) -> str:
        return f"slack:{payload.get('webhook_env', DEFAULT_WEBHOOK_ENV)}"

    def send(self, payload: dict[str, Any]) -> str | None:
        message = payload["message"]
        if self.settings.slack_backend == "file":
            self.file_dir.mkdir(parents=True, exist_ok=True)
            with (self.file_dir / "slack.jsonl").open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(message, ensure_ascii=False) + "\n")
            return None
        name = payload.get("webhook_env", DEFAULT_WEBHOOK_ENV)
        url = secret_from_env(name, self.settings)
        if not url:
            raise DeliveryError(f"Slack is off: {name} is not set")
        self._pace(name)
        post_webhook(self.client, url, message)
        return None

    def _pace(self, name: str) -> None:
        last = self._last_post.get(name)
        if last is not None:
            wait = self.settings.slack_min_interval - (time.monotonic() - last)
            if wait > 0:
                time.sleep(wait)
        self._last_post[name] = time.monotonic()

    def close(self) -> None:
        self.client.close()


def post_webhook(client: httpx.Client, webhook_url: str, payload: dict[str, Any]) -> None:
    """Post one message; raises `DeliveryError` (never with the URL, which is a secret)."""
    try:
        response = client.post(webhook_url, json=payload)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"Slack webhook unreachable: {type(exc).__name__}") from None
    if response.status_code == 200:
        return
    status = response.status_code
    body = redact(response.text, webhook_url)[:200]
    raise DeliveryError(
        f"Slack webhook answered {status}: {body}",
        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        # 400 invalid_payload, 403 action_prohibited, 404 no_service, 410 channel_is_archived:
        # sending the same thing again cannot succeed.
        permanent=400 <= status < 500 and status not in (408, 425, 429),
    )


def redact(text: str, webhook_url: str) -> str:
    """`text` without the webhook URL or any part of its path (an error page that echoes
    "POST /services/T…/B…/token" must not put the token into logs or the database)."""
    path = httpx.URL(webhook_url).path
    secrets = [webhook_url, path, *(p for p in path.split("/") if len(p) >= 6)]
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "<webhook>")
    return text

"""Slack: the Block Kit message for a new story, and delivery to an incoming webhook.

Scraped text is escaped for mrkdwn and every block kept inside Slack's limits
(header 150 characters, section 3,000, at most 50 blocks; ENGINEERING.md §7).
"""

from __future__ import annotations

from typing import Any

import httpx

from alerts.views import StoryView

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


def story_message(story: StoryView) -> dict[str, Any]:
    """One message per new story: commitments, linked title, source, date, evidence, tier."""
    date = story.published_at.date().isoformat() if story.published_at else "date unknown"
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


class SlackError(Exception):
    """A webhook post that did not succeed; `retry_after` is set for 429 responses."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def post_webhook(client: httpx.Client, webhook_url: str, payload: dict[str, Any]) -> None:
    """Post one message; raises `SlackError` (never with the URL, which is a secret)."""
    try:
        response = client.post(webhook_url, json=payload, timeout=15)
    except httpx.HTTPError as exc:
        raise SlackError(f"Slack webhook unreachable: {type(exc).__name__}") from None
    if response.status_code == 200:
        return
    retry_after = response.headers.get("Retry-After")
    raise SlackError(
        f"Slack webhook answered {response.status_code}: {response.text[:200]}",
        retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
    )

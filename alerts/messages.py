"""What each outbox row becomes on its channel: Block Kit for Slack, a multipart email
for email. Story rows are rendered when they are sent, so "also reported by" names the
outlets whose copies arrived after the story was queued."""

from __future__ import annotations

from dataclasses import replace
from datetime import tzinfo
from typing import Any

from sqlmodel import Session, select

from alerts.digest import templates
from alerts.email import message_id
from alerts.outbox import Claimed
from alerts.slack import ops_message, story_message
from alerts.views import StoryView
from config.settings import Settings
from storage.models import Article

STORY_KINDS = ("instant", "update")


def also_reported_by(session: Session, view: StoryView) -> list[str]:
    sources = session.exec(
        select(Article.source).where(Article.story_id == view.story_id).distinct()
    ).all()
    return sorted(s for s in sources if s != view.source)


def story_email(view: StoryView, to: list[str], mid: str, tz: tzinfo) -> dict[str, Any]:
    date = view.local_date(tz)
    commitments = ", ".join(f"¶{h.paragraph}" for h in view.hits)
    prefix = "Updated: " if view.updated else ""
    return {
        "subject": f"Kizuna {commitments}: {prefix}{view.title}"[:250],
        "text": templates.get_template("story.txt").render(v=view, date=date),
        "html": templates.get_template("story.html").render(v=view, date=date),
        "to": to,
        "message_id": mid,
    }


def channel_payload(session: Session, row: Claimed, settings: Settings) -> dict[str, Any]:
    """The channel's input for one claimed row: {"message": ..., plus where it goes}."""
    payload = row.payload
    where: dict[str, Any] = {k: payload[k] for k in ("webhook_env", "to") if k in payload}
    if "message" in payload:  # digests: rendered when queued
        return {"message": payload["message"], **where}
    if row.kind in STORY_KINDS:
        view = StoryView.from_json(payload["view"])
        view = replace(view, also_reported_by=also_reported_by(session, view))
        if row.channel == "slack":
            return {"message": story_message(view, settings.tz), **where}
        mid = message_id(row.idempotency_key, settings)
        return {"message": story_email(view, payload["to"], mid, settings.tz), **where}
    subject, text = payload["subject"], payload["text"]
    if row.channel == "slack":
        return {"message": ops_message(subject, text), **where}
    mid = message_id(row.idempotency_key, settings)
    return {
        "message": {"subject": subject, "text": text, "to": payload["to"], "message_id": mid},
        **where,
    }


def pending_summary(payload: dict[str, Any]) -> str:
    """One line for `kizuna alerts list`."""
    if "view" in payload:
        return str(payload["view"].get("title", ""))
    if "message" in payload:
        return str(payload["message"].get("subject", ""))
    return str(payload.get("subject", ""))

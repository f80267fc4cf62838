"""Send what the outbox holds. Slack goes to its webhook, or to a JSON Lines file with
KIZUNA_SLACK_BACKEND=file (the demo). A failed send stays queued with its error."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from alerts.slack import SlackError, post_webhook
from config.settings import Settings
from storage.db import session_scope
from storage.models import Outbox, utcnow

MAX_ATTEMPTS = 8


@dataclass
class FlushReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0


def flush(engine: Engine, settings: Settings, *, file_dir: Path | None = None) -> FlushReport:
    report = FlushReport()
    file_dir = file_dir or settings.var_dir / "outbox"
    with Session(engine) as session:
        ids = session.exec(
            select(Outbox.id)
            .where(
                Outbox.status == "pending",
                Outbox.channel == "slack",
                Outbox.next_attempt_at <= utcnow(),
            )
            .order_by(col(Outbox.id))
        ).all()
    with httpx.Client() as client:
        for row_id in ids:
            with Session(engine) as session:
                row = session.get(Outbox, row_id)
                if row is None or row.status != "pending":
                    continue
                payload = row.payload
            # The network call runs with no database session open: a slow webhook must
            # never hold a transaction (or SQLite's write lock) for its duration.
            try:
                _send_slack(client, settings, payload, file_dir)
                error: SlackError | None = None
            except SlackError as exc:
                error = exc
            _record(engine, row_id, error, report)
    return report


def _record(
    engine: Engine, row_id: int | None, error: SlackError | None, report: FlushReport
) -> None:
    """Write the outcome of one send in its own short transaction."""
    with session_scope(engine) as session:
        row = session.get(Outbox, row_id)
        if row is None:
            return
        row.attempts += 1
        if error is None:
            row.status, row.sent_at = "sent", utcnow()
            report.sent += 1
        else:
            row.last_error = str(error)
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
                report.failed += 1
            else:
                delay = error.retry_after or min(3600, 30 * 2**row.attempts)
                row.next_attempt_at = utcnow() + timedelta(seconds=delay)
                report.retrying += 1
        session.add(row)


def _send_slack(
    client: httpx.Client, settings: Settings, payload: dict[str, object], file_dir: Path
) -> None:
    if settings.slack_backend == "file":
        file_dir.mkdir(parents=True, exist_ok=True)
        with (file_dir / "slack.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    if settings.slack_webhook_url is None:
        raise SlackError("Slack is off: KIZUNA_SLACK_WEBHOOK_URL is not set")
    post_webhook(client, settings.slack_webhook_url.get_secret_value(), payload)

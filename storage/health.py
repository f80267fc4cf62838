"""Source health as data (Media Cloud rss-fetcher style): each crawl's counts go into
`source_health`, which says whether the source works: ok, degraded, blocked or broken,
with the reason in one line and a failure score that decays by half with each run.

- blocked: block or challenge pages (403, Cloudflare, Anubis, captcha) and nothing else
  came through;
- broken: the source gives nothing usable: entry pages without article links (a redesign),
  every article unreadable, three failed runs in a row, or no new item for longer than its
  expected cadence;
- degraded: it works but some requests failed (5xx, timeouts, oversize or unreadable pages)
  or the run as a whole failed for the first or second time;
- ok: none of that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from storage.models import SourceHealth, utcnow

BROKEN_AFTER = 3  # consecutive failed runs before a source is called broken
WEIGHTS = {"ok": 0.0, "degraded": 0.5, "blocked": 1.0, "broken": 1.0}
# A link to a page that is gone is the site's business, not a sign the source is failing.
HARMLESS_FAILURES = {"HTTP 404", "HTTP 410"}


@dataclass
class RunReport:
    """What one crawl of one source saw (kizuna/crawl.py fills it from Scrapy's stats)."""

    source: str
    cadence_hours: int
    run_id: int | None = None
    failed: str | None = None  # the run itself failed: why
    finish_reason: str | None = None
    entry_pages: int = 0  # entry pages read successfully
    empty_entries: int = 0  # entry pages read that held no article link
    articles_fetched: int = 0  # article pages that reached a page object
    items_seen: int = 0  # articles read, plus stored ones not fetched again
    items_new: int = 0
    too_old: int = 0
    errors: int = 0
    extraction_errors: int = 0
    blocked: dict[str, int] = field(default_factory=dict)  # kind -> responses
    http_status: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)  # exception kind -> count

    @property
    def run_failed(self) -> bool:
        """The run as a whole failed: it broke off, or read no entry page at all."""
        return bool(self.failed) or self.entry_pages == 0


def _aware(when: datetime | None) -> datetime | None:
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def assess(report: RunReport, health: SourceHealth, now: datetime) -> tuple[str, str]:
    """(state, reason) for a run, given the source's health before it."""
    blocked = sum(report.blocked.values())
    kinds = ", ".join(f"{k} ×{n}" for k, n in sorted(report.blocked.items()))
    if blocked and report.items_seen == 0 and report.entry_pages == 0:
        return "blocked", f"blocked ({kinds}); nothing else came through"
    if report.entry_pages and report.empty_entries >= report.entry_pages:
        return "broken", "entry pages hold no article link (layout changed?)"
    if report.articles_fetched and report.items_seen == 0 and report.extraction_errors:
        return "broken", (
            f"no article could be read ({report.extraction_errors} unreadable; layout changed?)"
        )
    if report.run_failed:
        why = report.failed or "no entry page could be read"
        failures = health.consecutive_failures + 1
        if failures >= BROKEN_AFTER:
            return "broken", f"{failures} failed runs in a row: {why}"
        return "degraded", why
    last_item = _aware(health.last_item_at)
    silence = timedelta(hours=report.cadence_hours)
    if report.items_new == 0 and last_item is not None and now - last_item > silence:
        days = (now - last_item).total_seconds() / 86400
        return "broken", (
            f"no new item for {days:.1f} days (expected every {report.cadence_hours} h)"
        )
    if (
        report.items_new == 0
        and last_item is None
        and report.items_seen == 0
        and not (report.too_old)
    ):
        return "broken", "no article found"
    problems: list[str] = []
    if blocked:
        problems.append(f"blocked responses ({kinds})")
    server_errors = sum(n for s, n in report.http_status.items() if s.startswith("5"))
    if server_errors:
        problems.append(f"{server_errors} server errors")
    if report.extraction_errors:
        problems.append(f"{report.extraction_errors} unreadable pages")
    failing = {k: n for k, n in report.failures.items() if k not in HARMLESS_FAILURES}
    if failing:
        problems.append(", ".join(f"{k} ×{n}" for k, n in sorted(failing.items())))
    if problems:
        return "degraded", "; ".join(problems)
    return "ok", f"{report.items_new} new of {report.items_seen} seen"


def record_run(session: Session, report: RunReport) -> SourceHealth:
    """Update the source's health row from one run, and return it."""
    health = session.get(SourceHealth, report.source) or SourceHealth(
        source=report.source, expected_cadence_hours=report.cadence_hours, status="new"
    )
    now = utcnow()
    if report.items_new:
        health.last_item_at = now
    state, reason = assess(report, health, now)
    health.expected_cadence_hours = report.cadence_hours
    if state == "ok":
        health.consecutive_failures = 0
        health.last_success_at = now
        health.last_error = None
    else:
        if state != "degraded" or report.run_failed:
            health.consecutive_failures += 1
        else:  # degraded, but it worked
            health.last_success_at = now
        health.last_error = reason[:2000]
    health.failure_score = round(health.failure_score * 0.5 + WEIGHTS[state], 3)
    if state != health.status:
        health.previous_status = health.status if health.status != "new" else None
        health.status_changed_at = now
    health.status = state
    health.reason = reason
    health.last_run_at = now
    health.last_run_id = report.run_id
    health.finish_reason = report.finish_reason
    health.items_seen = report.items_seen
    health.items_new = report.items_new
    health.errors = report.errors
    health.blocked = sum(report.blocked.values())
    health.http_status = dict(report.http_status)
    health.updated_at = now
    session.add(health)
    return health


def report_from_stats(
    source: str,
    cadence_hours: int,
    stats: dict[str, object],
    *,
    run_id: int | None = None,
    failed: str | None = None,
) -> RunReport:
    """A RunReport from a Scrapy crawl's stats (the `kizuna/*` keys our spider counts)."""

    def n(key: str) -> int:
        value = stats.get(key, 0)
        return int(value) if isinstance(value, int | float) else 0

    def by_prefix(prefix: str) -> dict[str, int]:
        return {
            k[len(prefix) :].rsplit(".", 1)[-1]: int(v)  # type: ignore[call-overload]
            for k, v in stats.items()
            if k.startswith(prefix) and isinstance(v, int | float)
        }

    failures = {k: v for k, v in by_prefix("kizuna/failures/").items() if k != "BlockedError"}
    return RunReport(
        source=source,
        cadence_hours=cadence_hours,
        run_id=run_id,
        failed=failed,
        finish_reason=str(stats.get("finish_reason")) if stats.get("finish_reason") else None,
        entry_pages=n("kizuna/entry_pages"),
        empty_entries=n("kizuna/empty_entry"),
        articles_fetched=n("kizuna/articles")
        + n("kizuna/extraction_errors")
        + n("kizuna/out_of_scope"),
        items_seen=n("kizuna/articles") + n("kizuna/skipped_stored"),
        items_new=n("kizuna/new"),
        too_old=n("kizuna/too_old"),
        # Not Scrapy's log_count/ERROR: in one process its counter sees every crawler's log.
        errors=sum(failures.values()) + n("kizuna/extraction_errors"),
        extraction_errors=n("kizuna/extraction_errors"),
        blocked=by_prefix("kizuna/blocked/"),
        http_status=by_prefix("downloader/response_status_count/"),
        failures=failures,
    )

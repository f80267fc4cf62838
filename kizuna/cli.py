"""`kizuna`: the command line. Exit 0 on success, 1 on a failure the user must fix, 2 on bad
usage; errors are one line on stderr (a traceback only with --debug)."""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from config.errors import ConfigError
from kizuna.oneline import describe

if TYPE_CHECKING:  # imported lazily at run time: `kizuna --help` stays fast
    from config.registry import Source
    from kizuna.context import AppContext

app = typer.Typer(
    help="Kizuna: monitor the Japan–Lao PDR Comprehensive Strategic Partnership.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
alerts_app = typer.Typer(help="Alert delivery.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(alerts_app, name="alerts")

# Piped output gets a wide console so tables stay readable in files and pagers.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)
_state = {"debug": False}


class UserError(Exception):
    """A failure the user must fix, reported as one line."""


F = TypeVar("F", bound=Callable[..., Any])


def handled(fn: F) -> F:
    """Turn any failure of a command into one line on stderr and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.BadParameter, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            # The reader (e.g. `| head`) went away: stop quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except (ConfigError, UserError) as exc:
            _report(exc, f"error: {exc}")
        except Exception as exc:  # the CLI's last line of defence
            _report(exc, f"error: {describe(exc)} (run with --debug for details)")
        raise typer.Exit(1)

    return wrapper  # type: ignore[return-value]


def _report(exc: BaseException, line: str) -> None:
    if _state["debug"]:
        traceback.print_exception(exc)
    err.print(line, markup=False)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    _state["debug"] = debug


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param_hint=option) from None


# ---------------------------------------------------------------- demo, crawl


@app.command()
@handled
def demo() -> None:
    """Run the main job offline: serve the bundled fixture sites on 127.0.0.1, crawl them,
    ingest, match, queue alerts, and write the digest and Slack payloads to var/demo/."""
    from kizuna.demo import run_demo

    run_demo(out)


@app.command()
@handled
def crawl(
    sources: Annotated[
        list[str] | None, typer.Argument(help="Source keys; all enabled if none.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Skip items published before YYYY-MM-DD.")
    ] = None,
    trigger: Annotated[str, typer.Option(hidden=True)] = "manual",
    record: Annotated[
        Path | None,
        typer.Option(help="Keep every response in this WARC file (e.g. crawl.warc.gz)."),
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option(help="Crawl offline from this WARC file instead of the web."),
    ] = None,
) -> None:
    """Crawl some or all enabled sources now, through the ingest path."""
    from config.registry import load_sources
    from kizuna.context import open_app

    since_day = _parse_day(since, "--since")
    ctx = open_app()
    registry = load_sources(ctx.settings.config_dir)
    by_key = {s.key: s for s in registry}
    if sources:
        unknown = [s for s in sources if s not in by_key]
        if unknown:
            raise UserError(f"unknown source {unknown[0]!r} (known: {', '.join(by_key)})")
        chosen = [by_key[s] for s in sources]
    else:
        chosen = [s for s in registry if s.enabled]
    if not chosen:
        raise UserError("no enabled source to crawl (see config/sources.yaml)")
    from spiders.pages import UnknownPages, page_set

    for source in chosen:  # before any crawl_run row is written
        try:
            page_set(source.pages)
        except UnknownPages as exc:
            raise UserError(f"source {source.key!r}: {exc.args[0]}") from None
    if record and replay:
        raise typer.BadParameter("--record and --replay do not go together")
    if replay is not None and not replay.is_file():
        raise UserError(f"{replay}: no such WARC file")
    _crawl_and_report(ctx, chosen, since_day, trigger, record=record, replay=replay)


def _crawl_and_report(
    ctx: AppContext,
    chosen: list[Source],
    since_day: date | None,
    trigger: str,
    *,
    record: Path | None = None,
    replay: Path | None = None,
) -> None:
    from kizuna.crawl import CrawlOutcome
    from kizuna.crawl import crawl as run_crawl

    level = "DEBUG" if _state["debug"] else "ERROR"
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        tasks = {s.key: progress.add_task(f"{s.key}: starting") for s in chosen}

        def update(_event: str, o: CrawlOutcome) -> None:
            progress.update(
                tasks[o.source], description=f"{o.source}: {o.pages} pages, {o.items} items"
            )

        outcomes = run_crawl(
            chosen,
            ctx.settings,
            ctx.engine,
            trigger=trigger,
            since=since_day,
            progress=update,
            log_level=level,
            record=record,
            replay=replay,
        )
    table = Table(title="Crawl summary")
    for col in (
        "source",
        "status",
        "health",
        "pages",
        "items",
        "new",
        "duplicate",
        "updated",
        "rejected",
        "matches",
        "error",
    ):
        table.add_column(
            col,
            justify="right" if col not in ("source", "status", "health", "error") else "left",
        )
    for o in outcomes:
        table.add_row(
            o.source,
            o.status,
            o.health,
            str(o.pages),
            str(o.items),
            str(o.new),
            str(o.duplicates),
            str(o.updated),
            str(o.rejected),
            str(o.matches),
            o.error or (o.reason if o.health not in ("ok", "") else ""),
        )
    out.print(table)
    if record:
        out.print(f"Responses recorded in {record}")
    busy = [o for o in outcomes if o.status == "busy"]
    for o in busy:
        out.print(f"{o.source}: {o.error}", markup=False)
    if busy and len(busy) == len(outcomes):
        raise UserError(
            f"{', '.join(o.source for o in busy)}: already being crawled; nothing was done"
        )
    stopped = [o.source for o in outcomes if o.status == "stopped"]
    if stopped:
        raise UserError(f"{', '.join(stopped)}: stopped by a signal before the crawl finished")
    failed = [o.source for o in outcomes if o.status not in ("ok", "busy")]
    if failed:
        raise UserError(f"crawl failed for {', '.join(failed)} (see the error column)")
    unwell = [f"{o.source} ({o.health})" for o in outcomes if o.health in ("blocked", "broken")]
    if unwell:
        raise UserError(f"crawled, but {', '.join(unwell)}: see `kizuna sources`")


# ---------------------------------------------------------------- ingest, match


@app.command()
@handled
def ingest(
    file: Annotated[str, typer.Argument(help="JSON Lines file of items, or - for stdin.")],
) -> None:
    """Store items (url, title, text|summary, published_at|date, lang, source, id) through the
    same path as crawled ones. Exits 1 if any line was rejected (the others are stored)."""
    from kizuna.context import open_app
    from kizuna.ingest import Ingestor, IngestResult, IngestTally
    from kizuna.jsonl import read_jsonl

    ctx = open_app()
    ingestor = Ingestor(ctx.engine, ctx.settings)
    tally = IngestTally()
    for number, data, problem in read_jsonl(file):
        result = IngestResult("rejected", reason=problem) if problem else ingestor.ingest(data)
        tally.add(result, number)
    c = tally.counts
    out.print(
        f"new {c['new']}, duplicate {c['duplicate']}, updated {c['updated']}, "
        f"rejected {c['rejected']}; {tally.matches} commitment matches, "
        f"{tally.alerts} alerts queued"
    )
    for number, reason in tally.rejected:
        err.print(f"line {number}: rejected: {reason}")
    if tally.rejected:
        raise typer.Exit(1)


@app.command()
@handled
def match(
    file: Annotated[str, typer.Argument(help="JSON Lines file of items, or - for stdin.")],
) -> None:
    """Classify items without touching the database: one JSON object per input line."""
    from config.registry import load_commitments, load_sources
    from config.settings import get_settings
    from kizuna.items import ItemError, parse_item
    from kizuna.jsonl import read_jsonl
    from matching.matcher import Matcher

    settings = get_settings()
    matcher = Matcher(load_commitments(settings.config_dir).commitments)
    home = {s.key: s.country for s in load_sources(settings.config_dir)}
    bad = 0
    for number, data, problem in read_jsonl(file):
        given_id = data.get("id") if isinstance(data, dict) else None
        record: dict[str, object] = {"id": given_id if given_id is not None else number}
        try:
            if problem:
                raise ItemError(problem)
            item = parse_item(data)
        except ItemError as exc:
            bad += 1
            err.print(f"line {number}: {exc}")
            record.update(relevant=False, commitments=[], possible=[], error=str(exc))
        else:
            result = matcher.match(item.title, item.text, home.get(item.source or ""))
            record.update(
                relevant=result.relevant,
                commitments=[h.as_contract() for h in result.commitments],
                possible=[h.as_contract() for h in result.possible],
            )
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    if bad:
        raise typer.Exit(1)


# ---------------------------------------------------------------- export, digest, commitments


class ExportKind(StrEnum):
    articles = "articles"
    stories = "stories"
    matches = "matches"


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


@app.command()
@handled
def export(
    kind: Annotated[ExportKind, typer.Argument(help="What to export.")],
    format: Annotated[
        ExportFormat, typer.Option("--format", help="Output format.")
    ] = ExportFormat.jsonl,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
) -> None:
    """Write stored articles, stories or matches to stdout."""
    from kizuna import export as exporter
    from kizuna.context import open_app
    from storage.db import session_scope

    since_day = _parse_day(since, "--since")
    ctx = open_app()
    produce, fields = exporter.EXPORTS[kind.value]
    with session_scope(ctx.engine) as session:
        exporter.write(produce(session, since_day), fields, format.value, sys.stdout)


@app.command()
@handled
def digest(
    day: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Digest day YYYY-MM-DD (default: the next one, so far; with --send: "
            "every day due since the last one sent).",
        ),
    ] = None,
    route: Annotated[
        str | None, typer.Option(help="Digest route key (default: the first in alerts.yaml).")
    ] = None,
    preview: Annotated[
        Path | None, typer.Option(help="Write the HTML here (and the text beside, as .txt).")
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Queue and send every digest that is due.")
    ] = False,
) -> None:
    """Compose a digest: print it, write it to files (--preview), or send what is due (--send).

    The digest of day D covers the 24 hours before the route's time on D (07:30 by default).
    --send catches up every day missed since the last digest; running it again sends
    nothing twice.
    """
    from alerts.digests import compose_for, upcoming_day
    from config.registry import load_routes
    from kizuna.context import open_app
    from storage.db import session_scope

    ctx = open_app()
    the_day = _parse_day(day, "--date")
    routes = load_routes(ctx.settings.config_dir)
    digests = [r for r in routes if r.kind == "digest"]
    if route is not None:
        digests = [r for r in digests if r.key == route]
        if not digests:
            raise UserError(f"no digest route {route!r} in alerts.yaml")
    if send:
        _send_digests(ctx, routes, digests, the_day)
        return
    chosen = digests[0] if digests else None
    the_day = the_day or upcoming_day(chosen, ctx.settings)
    with session_scope(ctx.engine) as session:
        d = compose_for(session, chosen, the_day, ctx.settings)
    if preview is None:
        out.print(d.render_text(), markup=False)
        return
    preview.parent.mkdir(parents=True, exist_ok=True)
    preview.write_text(d.render_html(), encoding="utf-8")
    preview.with_suffix(".txt").write_text(d.render_text(), encoding="utf-8")
    out.print(f"{d.subject}\nwritten to {preview} and {preview.with_suffix('.txt')}", markup=False)
    out.print(
        f"open it in a browser: python3 -m webbrowser file://{preview.resolve()}", markup=False
    )


def _send_digests(ctx: Any, routes: list[Any], digests: list[Any], the_day: date | None) -> None:
    from alerts.digests import digest_routes, queue_digests
    from alerts.sender import flush

    active = digest_routes(digests, ctx.settings)
    if not active:
        raise UserError(
            "no digest route is on: set KIZUNA_DIGEST_TO and KIZUNA_SMTP_HOST "
            "(or KIZUNA_EMAIL_BACKEND=file); `kizuna config` shows why"
        )
    for q in queue_digests(ctx.engine, ctx.settings, active, day=the_day):
        out.print(
            f"{q.route} {q.day.isoformat()}: {q.outcome}{': ' + q.subject if q.subject else ''}",
            markup=False,
        )
    report = flush(ctx.engine, ctx.settings, routes, kinds=("digest", "ops"))
    out.print(report.line())
    if report.failed:
        raise UserError(f"{report.failed} digest(s) failed for good: see `kizuna alerts list`")
    if report.retrying:
        raise UserError(
            f"{report.retrying} digest(s) could not be sent yet and will be retried: "
            "see `kizuna alerts list`"
        )


@app.command()
@handled
def commitments() -> None:
    """List the tracked commitments with matched stories, latest evidence and days quiet."""
    from config.registry import load_commitments
    from kizuna.context import open_app
    from kizuna.export import commitment_activity
    from storage.commitments import sync_commitments
    from storage.db import session_scope

    ctx = open_app()
    catalogue = load_commitments(ctx.settings.config_dir)
    with session_scope(ctx.engine) as session:
        ids = sync_commitments(session, catalogue.commitments)
        activity = commitment_activity(session)
    now = datetime.now(UTC)
    table = Table(title=f"{len(catalogue.commitments)} tracked commitments")
    for col in ("key", "¶", "title", "area", "stories", "latest", "days quiet"):
        table.add_column(
            col,
            justify="right" if col in ("¶", "stories", "days quiet") else "left",
            no_wrap=True,
            overflow="ellipsis",
            max_width=48 if col == "title" else None,
        )
    for c in catalogue.commitments:
        n, latest = activity.get(ids[c.key], (0, None))
        table.add_row(
            c.key,
            str(c.paragraph),
            c.title,
            c.area,
            str(n),
            latest.date().isoformat() if latest else "—",
            str((now - latest).days) if latest else "—",
        )
    out.print(table)


# ---------------------------------------------------------------- config, db, alerts, run


@app.command("config")
@handled
def show_config() -> None:
    """Show the effective settings (secrets masked), config files and channel status."""
    from alerts.routing import route_status
    from config.registry import config_path, load_commitments, load_routes, load_sources
    from config.settings import get_settings

    settings = get_settings()
    # Validate every registry: a broken file is reported here, not at 3 a.m. by the service.
    counts = {
        "sources.yaml": f"{len(load_sources(settings.config_dir))} sources",
        "commitments.yaml": f"{len(load_commitments(settings.config_dir).commitments)} commitments",
        "alerts.yaml": f"{len(routes := load_routes(settings.config_dir))} routes",
    }
    table = Table(title="Effective settings", show_header=True)
    table.add_column("setting")
    table.add_column("value")
    for name, value in settings.public_view().items():
        table.add_row(name, "" if value is None else str(value))
    out.print(table)
    for name, count in counts.items():
        out.print(f"{name}: {config_path(settings.config_dir, name)} ({count}, valid)")
    for route in routes:
        why = route_status(route, settings)[1]
        out.print(f"route {route.key} ({route.channel} {route.kind}): {why}")


@app.command()
@handled
def sources(
    check: Annotated[
        bool, typer.Option("--check", help="Fetch one entry point of each source now.")
    ] = False,
) -> None:
    """List the sources with their health (state, why, last run); --check fetches one entry
    point of each enabled source and reports what it got."""
    from sqlmodel import select

    from config.registry import load_sources
    from kizuna.context import open_app
    from storage.db import session_scope
    from storage.models import SourceHealth

    ctx = open_app()
    registry = load_sources(ctx.settings.config_dir)
    if check:
        _check_sources([s for s in registry if s.enabled], ctx.settings)
        return
    with session_scope(ctx.engine) as session:
        health = {h.source: h for h in session.exec(select(SourceHealth)).all()}
    table = Table(title=f"{len(registry)} sources")
    columns = ("key", "kind", "state", "score", "last run", "next", "seen", "new", "errors", "why")
    for col in columns:
        table.add_column(
            col,
            overflow="fold",
            max_width=60 if col == "why" else None,
            justify="right" if col in ("score", "seen", "new", "errors") else "left",
        )
    for s in registry:
        h = health.get(s.key)
        state = (h.status if h else "never crawled") if s.enabled else "disabled"
        table.add_row(
            s.key,
            s.kind,
            state,
            f"{h.failure_score:.2f}" if h else "",
            h.last_run_at.isoformat(timespec="minutes") if h and h.last_run_at else "—",
            # Set by the service (`kizuna run`) from its schedule.
            h.next_fetch_at.isoformat(timespec="minutes") if h and h.next_fetch_at else "—",
            str(h.items_seen) if h else "",
            str(h.items_new) if h else "",
            str(h.errors) if h else "",
            (h.reason or "") if h else "",
        )
    out.print(table)


def _check_sources(chosen: list[Source], settings: Any) -> None:
    from kizuna.source_check import check_sources

    results = check_sources(chosen, settings)
    table = Table(title=f"Checked {len(results)} sources")
    for col in ("key", "verdict", "http", "links", "time", "detail", "entry point"):
        table.add_column(
            col, overflow="fold", justify="right" if col in ("http", "links") else "left"
        )
    for r in results:
        table.add_row(
            r.source,
            r.verdict,
            str(r.http or ""),
            str(r.links),
            f"{r.seconds:.1f}s",
            r.detail,
            r.url,
        )
    out.print(table)
    bad = [r.source for r in results if r.verdict not in ("ok", "skipped")]
    if bad:
        raise UserError(f"{len(bad)} of {len(results)} sources failed the check: {', '.join(bad)}")


@db_app.command("upgrade")
@handled
def db_upgrade() -> None:
    """Apply pending schema migrations."""
    from config.settings import get_settings, mask_url_password
    from storage.db import check_connection, make_engine
    from storage.migrate import upgrade

    settings = get_settings()
    engine = make_engine(settings.database_url)
    check_connection(engine)
    before, after = upgrade(engine)
    where = mask_url_password(settings.database_url)
    if before == after:
        out.print(f"{where}: already at revision {after}")
    else:
        out.print(f"{where}: upgraded from {before or 'empty'} to revision {after}")


@alerts_app.command("flush")
@handled
def alerts_flush() -> None:
    """Send every queued alert that is due (instant, digests, ops)."""
    from alerts.sender import flush
    from kizuna.context import open_app

    ctx = open_app()
    report = flush(ctx.engine, ctx.settings)
    out.print(report.line())
    if report.failed:
        raise UserError(f"{report.failed} alert(s) failed for good: see `kizuna alerts list`")


class AlertStatus(StrEnum):
    open = "open"
    pending = "pending"
    failed = "failed"
    sent = "sent"
    all = "all"


@alerts_app.command("list")
@handled
def alerts_list(
    status: Annotated[
        AlertStatus, typer.Option(help="open = pending, being sent or failed.")
    ] = AlertStatus.open,
    limit: Annotated[int, typer.Option(help="At most this many rows, newest first.")] = 50,
) -> None:
    """Show queued, failed or sent alerts with their attempts and last error."""
    from sqlmodel import col, select

    from alerts.messages import pending_summary
    from kizuna.context import open_app
    from storage.db import session_scope
    from storage.models import Outbox

    wanted = {
        AlertStatus.open: ("pending", "sending", "failed"),
        AlertStatus.pending: ("pending", "sending"),
        AlertStatus.failed: ("failed",),
        AlertStatus.sent: ("sent",),
        AlertStatus.all: ("pending", "sending", "failed", "sent", "skipped"),
    }[status]
    ctx = open_app()
    with session_scope(ctx.engine) as session:
        rows = session.exec(
            select(Outbox)
            .where(col(Outbox.status).in_(wanted))
            .order_by(col(Outbox.id).desc())
            .limit(limit)
        ).all()
    table = Table(title=f"Alerts ({status.value}): {len(rows)}")
    for name in ("id", "route", "kind", "status", "tries", "next try (UTC)", "what", "last error"):
        table.add_column(name, overflow="fold")
    for r in rows:
        table.add_row(
            str(r.id),
            r.route,
            r.kind + (f" {r.digest_day}" if r.digest_day else ""),
            r.status,
            str(r.attempts),
            f"{r.next_attempt_at:%Y-%m-%d %H:%M:%S}" if r.status == "pending" else "",
            pending_summary(r.payload)[:80],
            (r.last_error or "")[:160],
        )
    out.print(table)


@alerts_app.command("retry")
@handled
def alerts_retry(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Alert ids (default: every failed one).")
    ] = None,
) -> None:
    """Queue failed alerts again, with fresh attempts (after fixing the channel)."""
    from alerts.outbox import requeue
    from kizuna.context import open_app

    ctx = open_app()
    n = requeue(ctx.engine, ids or None)
    out.print(f"{n} failed alert(s) queued again; `kizuna alerts flush` sends them")


@app.command()
@handled
def health(
    max_age: Annotated[
        float | None,
        typer.Option(
            help="Seconds after which the service's heartbeat is stale (default: three "
            "missed beats, 90)."
        ),
    ] = None,
) -> None:
    """Exit 0 when `kizuna run` is alive (fresh heartbeat), 1 otherwise (the container's
    HEALTHCHECK)."""
    from kizuna.context import open_app
    from storage.db import session_scope
    from storage.heartbeat import STALE_AFTER, check

    ctx = open_app()
    with session_scope(ctx.engine) as session:
        verdict = check(session, stale_after=STALE_AFTER if max_age is None else max_age)
    if not verdict.healthy:
        raise UserError(verdict.line)
    out.print(verdict.line, markup=False)


@app.command()
@handled
def run() -> None:
    """Start the scheduler service: crawls on their schedules, digests at their times, alert
    delivery. A second `kizuna run` on the same database waits as a standby."""
    from kizuna.context import open_app
    from scheduler.service import serve

    ctx = open_app()
    code = serve(ctx.settings, ctx.engine, out)
    if code:
        raise typer.Exit(code)


# ---------------------------------------------------------------- entry point


def main() -> None:
    app()

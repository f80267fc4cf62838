"""`kizuna demo`: the whole loop offline on the bundled fixture sites.

Serves each site of kizuna/demo_sites on 127.0.0.1, crawls the configured sources through
those mirrors (real URLs are stored; nothing leaves the machine), then writes the Slack
payloads it would send and the day's digest into var/demo/.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlmodel import col, func, select

from alerts.digests import compose_for, digest_message, upcoming_day
from alerts.email import build_email
from alerts.sender import flush
from config.registry import load_sources
from config.settings import get_settings, load_settings, mask_url_password
from kizuna.crawl import crawl
from kizuna.fixture_server import FixtureServer, FixtureSite, demo_site_dirs
from storage.db import check_connection, make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Article, Match, Outbox


def run_demo(console: Console) -> None:
    base = get_settings()
    demo_dir = base.var_dir / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    # Loopback must never go through a proxy the user has set for the real web.
    os.environ["NO_PROXY"] = ",".join(
        filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"])
    )
    sites = [FixtureSite.load(d) for d in demo_site_dirs()]
    with ExitStack() as stack:
        servers = [stack.enter_context(FixtureServer(site)) for site in sites]
        mirrors = ",".join(f"{s.site.origin}={s.base_url}" for s in servers)
        # The fixture stories are dated 2025: without this, the backfill rule (older than
        # 14 days: digest only) would keep every one of them out of Slack.
        settings = load_settings(
            mirrors=mirrors, offline=True, slack_backend="file", backfill_days=100_000
        )
        engine = make_engine(settings.database_url)
        check_connection(engine)
        upgrade(engine)
        origins = {s.origin for s in sites}
        sources = [
            s
            for s in load_sources(settings.config_dir)
            if s.enabled and any(u.startswith(tuple(origins)) for u in s.entry_urls)
        ]
        with session_scope(engine) as session:
            stored_before = session.exec(select(func.count(col(Article.id)))).one()
        console.print(
            f"Serving {len(sites)} fixture site(s) on 127.0.0.1; crawling "
            f"{', '.join(s.key for s in sources)} …"
        )
        outcomes = crawl(sources, settings, engine, trigger="demo")

    report = flush(engine, settings, file_dir=demo_dir, kinds=("instant", "update"))
    # The digest that will go out next: everything since the last digest time (07:30).
    next_day = upcoming_day(None, settings)
    with session_scope(engine) as session:
        digest = compose_for(session, None, next_day, settings)
        stored = session.exec(select(func.count(col(Article.id)))).one()
        relevant = session.exec(
            select(func.count(col(Article.id))).where(col(Article.relevant).is_(True))
        ).one()
        matches = session.exec(select(func.count(col(Match.id))).where(Match.tier == "match")).one()
        queued = session.exec(
            select(func.count(col(Outbox.id))).where(Outbox.status == "pending")
        ).one()
    # The digest as the email backend would send it (KIZUNA_EMAIL_BACKEND=file does the same),
    # and its two parts as files to open.
    message = digest_message(
        digest,
        settings.digest_recipients or ["analyst@example.org"],
        f"demo:digest:{next_day}",
        settings,
    )
    html_path, text_path = demo_dir / "digest.html", demo_dir / "digest.txt"
    html_path.write_text(message["html"], encoding="utf-8")
    text_path.write_text(message["text"], encoding="utf-8")
    eml_path = demo_dir / "digest.eml"
    mail = build_email(message, settings)
    eml_path.write_bytes(mail.as_bytes())
    slack_path = demo_dir / "slack.jsonl"
    slack_path.touch()

    table = Table(title="Kizuna demo")
    table.add_column("what")
    table.add_column("count", justify="right")
    pages = sum(o.pages for o in outcomes)
    new = sum(o.new for o in outcomes)
    dup = sum(o.duplicates for o in outcomes)
    table.add_row("pages fetched", str(pages))
    table.add_row("articles found", str(sum(o.items for o in outcomes)))
    table.add_row("  new", str(new))
    table.add_row("  already stored", str(dup))
    table.add_row("  updated", str(sum(o.updated for o in outcomes)))
    table.add_row("articles in the database", f"{stored} ({relevant} about Japan–Laos)")
    table.add_row("commitment matches", str(matches))
    table.add_row("Slack messages written now", str(report.sent))
    table.add_row(f"stories in the digest of {next_day}", str(digest.story_count))
    console.print(table)
    per_source = Table(title="Sources")
    for name in ("source", "health", "pages", "new", "already stored", "note"):
        per_source.add_column(name, justify="right" if name in ("pages", "new") else "left")
    for o in outcomes:
        note = o.error or ("" if o.health == "ok" else o.reason)
        per_source.add_row(
            o.source, o.health or o.status, str(o.pages), str(o.new), str(o.duplicates), note
        )
    console.print(per_source)
    if stored_before and not new:
        console.print(
            f"Second run: all {dup} articles were already stored; nothing was stored "
            "twice and no Slack message was written again."
        )
    failed = [o for o in outcomes if o.status != "ok" or o.health in ("blocked", "broken")]
    for o in failed:
        console.print(f"[red]{o.source} failed:[/red] {o.error}")
    console.print(
        f"Database: {mask_url_password(settings.database_url)}"
        f"{' (pending alerts: ' + str(queued) + ')' if queued else ''}"
    )
    for label, path in (
        ("Digest (HTML)", html_path),
        ("Digest (text)", text_path),
        ("Digest (email)", eml_path),
        ("Slack payloads", slack_path),
    ):
        console.print(f"{label}: {_show(path)}")
    console.print("Next: kizuna export articles | kizuna commitments | kizuna digest")
    if failed:
        from kizuna.cli import UserError

        raise UserError("the demo crawl failed for " + ", ".join(o.source for o in failed))


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)

"""Scrapyd's job runner for Kizuna: `runner = kizuna.scrapyd_runner` in scrapyd.conf.

Scrapyd starts `python -m <runner> list -s LOG_STDOUT=0` to learn a project's spiders
(scrapyd/webservice.py, SpiderList) and `python -m <runner> crawl SPIDER -s K=V ... -a k=v
...` for each job (scrapyd/launcher.py, get_crawl_args). Here a spider is an enabled source,
and a job runs exactly `kizuna crawl SOURCE --trigger T` (T from `-a trigger=`, default
"scheduled"), in this process: the same crawl lock, crawl_run row, source health, alerts and
signal handling as a local run. Scrapyd's cancel.json sends a signal (SIGINT unless told; the
service asks for SIGTERM, as its local runner sends): Scrapy's graceful stop, a second one
stops at once; the lock is released either way.

Of Scrapyd's `-s` settings only LOG_FILE is used: the job's output goes there (so the node's
web console shows it under logs/), ending with the line `EXIT_MARK <code>`, which is how
scheduler/scrapyd.py learns the crawl's exit code (Scrapyd's API does not report it).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

EXIT_MARK = "kizuna-scrapyd-runner: exit code"
DEFAULT_TRIGGER = "scheduled"


def _pairs(values: Sequence[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise SystemExit(f"error: {option} {value!r}: expected NAME=VALUE")
        pairs[key] = val
    return pairs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kizuna.scrapyd_runner",
        description="Run Kizuna crawls as Scrapyd jobs (see deploy/scrapyd/scrapyd.conf).",
    )
    parser.add_argument("command", choices=["list", "crawl"])
    parser.add_argument("spider", nargs="?", help="source key (crawl)")
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("-a", dest="args", action="append", default=[], metavar="NAME=VALUE")
    return parser


def list_sources() -> int:
    """Each enabled source key on its own line (Scrapyd's list of spiders)."""
    from config.errors import ConfigError
    from config.registry import load_sources
    from config.settings import get_settings

    try:
        sources = load_sources(get_settings().config_dir)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for source in sources:
        if source.enabled:
            print(source.key)
    return 0


def _log_to(path: str) -> None:
    """Send this process's stdout and stderr (file descriptors, so everything) to `path`."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def crawl_source(source: str, trigger: str) -> int:
    """`kizuna crawl SOURCE --trigger TRIGGER`, in this process; its exit code."""
    from kizuna.cli import app

    try:
        app(args=["crawl", source, "--trigger", trigger], prog_name="kizuna")
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    opts = _parser().parse_args(argv)
    settings = _pairs(opts.settings, "-s")
    args = _pairs(opts.args, "-a")
    if opts.command == "list":
        return list_sources()
    if not opts.spider:
        print("error: crawl needs a source key", file=sys.stderr)
        return 2
    if settings.get("LOG_FILE"):
        _log_to(settings["LOG_FILE"])
    trigger = args.pop("trigger", DEFAULT_TRIGGER) or DEFAULT_TRIGGER
    job = args.pop("_job", "")
    print(
        f"kizuna-scrapyd-runner: job {job or '?'}: kizuna crawl {opts.spider} --trigger {trigger}",
        file=sys.stderr,
    )
    ignored = {k: v for k, v in settings.items() if k != "LOG_FILE"}
    if ignored or args:
        print(
            f"kizuna-scrapyd-runner: ignored Scrapy settings {sorted(ignored)} and spider "
            f"arguments {sorted(args)}",
            file=sys.stderr,
        )
    code = crawl_source(opts.spider, trigger)
    sys.stdout.flush()
    print(f"{EXIT_MARK} {code}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())

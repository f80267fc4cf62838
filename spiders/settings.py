"""Scrapy settings for every Kizuna crawl; politeness is explicit, not Scrapy's defaults."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from config.registry import Source, load_identity_rules
from config.settings import Settings
from spiders.fingerprint import IDENTITY_RULES_SETTING
from spiders.warc import RECORD_SETTING, REPLAY_SETTING


def kizuna_version() -> str:
    try:
        return version("kizuna")
    except PackageNotFoundError:
        return "0"


MAX_PAGE_BYTES = 10 * 1024 * 1024  # a page bigger than this is not an article


def scrapy_settings(
    settings: Settings,
    *,
    log_level: str = "WARNING",
    record: Path | None = None,
    replay: Path | None = None,
) -> dict[str, Any]:
    """Scrapy settings for a crawl; reads the identity rules of every source in
    `settings.config_dir` (a broken sources.yaml raises ConfigError). `record` writes every
    response to a WARC file; `replay` answers every request from one, offline."""
    local = bool(settings.mirror_map)
    rules = load_identity_rules(settings.config_dir)
    middlewares: dict[str, int | None] = {
        # process_request: low numbers first; process_response: high numbers first.
        "spiders.warc.WarcReplayMiddleware": 50,
        "spiders.middlewares.MirrorMiddleware": 90,
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "spiders.retry_after.RetryAfterMiddleware": 550,
        # After decompression (590), before retries (550): challenge pages never retried.
        "spiders.blocking.BlockDetectionMiddleware": 570,
        # Below the HTTP cache (900): sees responses served from the cache too.
        "spiders.warc.WarcRecorderMiddleware": 880,
    }
    return {
        "BOT_NAME": "kizuna",
        "USER_AGENT": f"Kizuna/{kizuna_version()} (+{settings.user_agent_contact})",
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_PARSER": "scrapy.robotstxt.ProtegoRobotParser",
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": 0 if local else 1.0,
        "AUTOTHROTTLE_ENABLED": True,
        # Mirrors on 127.0.0.1 (demo, tests) need no politeness delay.
        "AUTOTHROTTLE_START_DELAY": 0 if local else 5.0,
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "DOWNLOAD_TIMEOUT": 30,
        "HTTPPROXY_ENABLED": True,  # honours HTTP_PROXY / HTTPS_PROXY / NO_PROXY
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy 2.19's remote control runs Python code sent to a local HTTP port: an
        # unattended service must not expose that.
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": log_level,
        "DOWNLOADER_MIDDLEWARES": middlewares,
        "DOWNLOAD_MAXSIZE": MAX_PAGE_BYTES,
        "DOWNLOAD_WARNSIZE": MAX_PAGE_BYTES // 2,
        # Conditional requests: entry pages carry `Cache-Control: max-age=0` and are
        # revalidated (ETag / Last-Modified); articles may be served from the cache.
        "HTTPCACHE_ENABLED": replay is None,
        "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.RFC2616Policy",
        "HTTPCACHE_STORAGE": "scrapy.extensions.httpcache.FilesystemCacheStorage",
        "HTTPCACHE_DIR": str((settings.var_dir / "httpcache").resolve()),
        "HTTPCACHE_GZIP": True,
        RECORD_SETTING: str(record) if record else None,
        REPLAY_SETTING: str(replay) if replay else None,
        "ITEM_PIPELINES": {"spiders.pipelines.IngestPipeline": 300},
        # Duplicate filter and HTTP cache key on canonical URLs, identity rules included.
        "REQUEST_FINGERPRINTER_CLASS": "spiders.fingerprint.CanonicalRequestFingerprinter",
        IDENTITY_RULES_SETTING: [rule.model_dump() for rule in rules],
        "KIZUNA_MIRRORS": settings.mirror_map,
        "KIZUNA_OFFLINE": settings.offline or replay is not None,
        "CLOSESPIDER_TIMEOUT": 1800,
    }


def source_settings(source: Source, *, local: bool = False) -> dict[str, Any]:
    """A source's politeness overrides (sources.yaml) as spider `custom_settings`; each
    source gets its own crawler, so they apply to its hosts only. `local`: the source is
    served by a mirror on this machine, which needs no delay."""
    p = source.politeness
    out: dict[str, Any] = {}
    if p.delay is not None and not local:
        out["DOWNLOAD_DELAY"] = p.delay
        out["AUTOTHROTTLE_START_DELAY"] = p.delay
    if p.concurrency is not None:
        out["CONCURRENT_REQUESTS_PER_DOMAIN"] = p.concurrency
    if p.timeout is not None:
        out["DOWNLOAD_TIMEOUT"] = p.timeout
    if p.retries is not None:
        out["RETRY_TIMES"] = p.retries
    if p.user_agent is not None:
        out["USER_AGENT"] = p.user_agent
    return out

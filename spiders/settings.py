"""Scrapy settings for every Kizuna crawl; politeness is explicit, not Scrapy's defaults."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from config.registry import load_identity_rules
from config.settings import Settings
from spiders.fingerprint import IDENTITY_RULES_SETTING


def kizuna_version() -> str:
    try:
        return version("kizuna")
    except PackageNotFoundError:
        return "0"


def scrapy_settings(settings: Settings, *, log_level: str = "WARNING") -> dict[str, Any]:
    """Scrapy settings for a crawl; reads the identity rules of every source in
    `settings.config_dir` (a broken sources.yaml raises ConfigError)."""
    local = bool(settings.mirror_map)
    rules = load_identity_rules(settings.config_dir)
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
        "LOG_LEVEL": log_level,
        "DOWNLOADER_MIDDLEWARES": {"spiders.middlewares.MirrorMiddleware": 90},
        "ITEM_PIPELINES": {"spiders.pipelines.IngestPipeline": 300},
        # Duplicate filter and HTTP cache key on canonical URLs, identity rules included.
        "REQUEST_FINGERPRINTER_CLASS": "spiders.fingerprint.CanonicalRequestFingerprinter",
        IDENTITY_RULES_SETTING: [rule.model_dump() for rule in rules],
        "KIZUNA_MIRRORS": settings.mirror_map,
        "KIZUNA_OFFLINE": settings.offline,
        "CLOSESPIDER_TIMEOUT": 1800,
    }

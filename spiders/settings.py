"""Scrapy settings for every Kizuna crawl; politeness is explicit, not Scrapy's defaults."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from config.settings import Settings


def kizuna_version() -> str:
    try:
        return version("kizuna")
    except PackageNotFoundError:
        return "0"


def scrapy_settings(settings: Settings, *, log_level: str = "WARNING") -> dict[str, Any]:
    local = bool(settings.mirror_map)
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
        "KIZUNA_MIRRORS": settings.mirror_map,
        "KIZUNA_OFFLINE": settings.offline,
        "CLOSESPIDER_TIMEOUT": 1800,
    }

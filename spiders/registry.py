"""Spider classes by the `spider` name a source uses in sources.yaml."""

from __future__ import annotations

import scrapy

from spiders.kpl import KplSpider

SPIDERS: dict[str, type[scrapy.Spider]] = {"kpl": KplSpider}

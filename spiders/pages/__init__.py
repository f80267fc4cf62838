"""Page objects by the `pages` name a source uses in sources.yaml.

Each named module defines `PAGES = PageSet(listing=..., article=...)`; what it leaves as
None is read by the generic page objects (spiders/pages/generic.py).
"""

from __future__ import annotations

from importlib import import_module

from spiders.pages.base import PageSet

MODULES: dict[str, str] = {
    "kpl": "spiders.pages.kpl",
    "mofa": "spiders.pages.mofa",
    "jica": "spiders.pages.jica",
    "embassy": "spiders.pages.embassy",
    "mod": "spiders.pages.mod",
    "vientiane-times": "spiders.pages.vientiane_times",
}


class UnknownPages(KeyError):
    pass


def page_set(name: str | None) -> PageSet:
    """The page objects for a source, the generic ones filling what a site does not define."""
    from spiders.pages.generic import GenericArticlePage, GenericListingPage

    found = PageSet()
    if name is not None:
        if name not in MODULES:
            raise UnknownPages(f"no page objects named {name!r} (known: {', '.join(MODULES)})")
        try:
            found = import_module(MODULES[name]).PAGES
        except ModuleNotFoundError as exc:
            raise UnknownPages(f"page objects {name!r} are not written yet ({exc})") from None
    return PageSet(
        listing=found.listing or GenericListingPage, article=found.article or GenericArticlePage
    )

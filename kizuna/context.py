"""What most commands need: settings, a migrated database, the registries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from config.settings import Settings, get_settings
from storage.db import check_connection, make_engine
from storage.migrate import upgrade


@dataclass
class AppContext:
    settings: Settings
    engine: Engine


def open_app(*, migrate: bool = True) -> AppContext:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    check_connection(engine)
    if migrate:
        upgrade(engine)
    return AppContext(settings, engine)

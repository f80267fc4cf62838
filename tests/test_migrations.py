"""The migrations build exactly the schema the models describe: a column added to a model
without a migration would work in tests that use the models and fail on a user's upgraded
database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import metadata


def test_upgraded_schema_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": False})
            diffs = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diffs == []

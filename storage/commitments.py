"""Keep the `commitment` table in step with config/commitments.yaml."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from config.registry import Commitment
from storage.models import CommitmentRow


def sync_commitments(session: Session, commitments: list[Commitment]) -> dict[str, int]:
    """Upsert every configured commitment; returns key -> row id.

    An upsert, not read-then-insert: several processes start at once (a scheduled and an
    on-demand crawl). Rows of commitments removed from the file stay, so old matches keep
    their meaning.
    """
    if commitments:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        values = [
            {
                "key": c.key,
                "document": c.document,
                "paragraph": c.paragraph,
                "title": c.title,
                "area": c.area,
                "text": c.text,
            }
            for c in commitments
        ]
        stmt = insert(CommitmentRow).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={f: stmt.excluded[f] for f in ("document", "paragraph", "title", "area", "text")},
        )
        session.execute(stmt)
    rows = session.exec(select(CommitmentRow.key, CommitmentRow.id)).all()
    return {key: row_id for key, row_id in rows if row_id is not None}

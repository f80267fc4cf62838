"""Keep the `commitment` table in step with config/commitments.yaml."""

from __future__ import annotations

from sqlmodel import Session, select

from config.registry import Commitment
from storage.models import CommitmentRow


def sync_commitments(session: Session, commitments: list[Commitment]) -> dict[str, int]:
    """Insert or update every configured commitment; returns key -> row id.

    Rows of commitments removed from the file stay (old matches keep their meaning).
    """
    rows = {r.key: r for r in session.exec(select(CommitmentRow)).all()}
    for c in commitments:
        row = rows.get(c.key) or CommitmentRow(
            key=c.key, document=c.document, paragraph=c.paragraph, title=c.title,
            area=c.area, text=c.text,
        )
        row.document, row.paragraph, row.title = c.document, c.paragraph, c.title
        row.area, row.text = c.area, c.text
        session.add(row)
        rows[c.key] = row
    session.flush()
    return {key: row.id for key, row in rows.items() if row.id is not None}

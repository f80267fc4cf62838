"""story layer: signatures, join reasons, event anchors

Revision ID: 0002
Revises: 0001
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("story_join", sa.String(), nullable=False, server_default="first")
        )
        batch_op.add_column(sa.Column("story_similarity", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("minhash", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("event", sa.JSON(), nullable=True))
    op.create_table(
        "event_anchor",
        sa.Column("anchor", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_event_anchor_article_id_article")
        ),
        sa.PrimaryKeyConstraint("anchor", "day", "article_id", name=op.f("pk_event_anchor")),
    )
    # Band rows are looked up by bucket; the article id lets a re-banded article be cleared.
    op.create_index(op.f("ix_lsh_band_article_id"), "lsh_band", ["article_id"])
    op.create_index(op.f("ix_event_anchor_article_id"), "event_anchor", ["article_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_event_anchor_article_id"), table_name="event_anchor")
    op.drop_index(op.f("ix_lsh_band_article_id"), table_name="lsh_band")
    op.drop_table("event_anchor")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("event")
        batch_op.drop_column("minhash")
        batch_op.drop_column("story_similarity")
        batch_op.drop_column("story_join")

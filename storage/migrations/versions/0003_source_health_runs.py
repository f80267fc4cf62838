"""source health from each run: counts, HTTP statuses, state and why

Revision ID: 0003
Revises: 0002
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("source_health", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("last_run_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_run_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("finish_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(
            sa.Column("items_seen", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("items_new", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("errors", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("blocked", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("http_status", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(sa.Column("previous_status", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(
            sa.Column("status_changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("source_health", schema=None) as batch_op:
        for name in (
            "status_changed_at",
            "previous_status",
            "http_status",
            "blocked",
            "errors",
            "items_new",
            "items_seen",
            "finish_reason",
            "last_run_id",
            "last_run_at",
            "reason",
        ):
            batch_op.drop_column(name)

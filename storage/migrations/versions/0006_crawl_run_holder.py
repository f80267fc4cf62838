"""crawl_run.holder: the process (host:pid) that runs the crawl, so a run whose process
died can be closed

Revision ID: 0006
Revises: 0005
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_run") as batch_op:
        batch_op.add_column(sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_run") as batch_op:
        batch_op.drop_column("holder")

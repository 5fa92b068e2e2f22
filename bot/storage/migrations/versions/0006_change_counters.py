"""Change counters (`bot.storage.changes`): what every process checks before serving something
it derived from the data, such as a calendar feed.

Revision ID: 0006_change_counters
Revises: 0005_leases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0006_change_counters"
down_revision = "0005_leases"
branch_labels = ("changes",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_counters",
        sa.Column("topic", sa.String(40), primary_key=True),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("change_counters")

"""Leases on the run ledger (an expiry renewed by the owner's heartbeat, and the number of
attempts), and the shared rate-limit budgets of several processes.

Revision ID: 0005_leases
Revises: 0004_subjects
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0005_leases"
down_revision = "0004_subjects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: no table copy on SQLite.
    op.add_column("scheduled_runs", sa.Column("lease_until", UTCDateTime(), nullable=True))
    op.add_column(
        "scheduled_runs", sa.Column("attempts", sa.Integer, nullable=False, server_default="1")
    )
    op.create_table(
        "rate_budgets",
        sa.Column("key", sa.String(200), primary_key=True),
        # GCRA: the theoretical arrival time of the next request, in epoch seconds.
        sa.Column("tat", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_budgets")
    op.drop_column("scheduled_runs", "attempts")
    op.drop_column("scheduled_runs", "lease_until")

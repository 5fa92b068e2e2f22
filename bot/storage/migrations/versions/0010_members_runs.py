"""Members (one row per platform identity) and the run ledger (exactly-once scheduled sends).

Revision ID: 0010_members_runs
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0010_members_runs"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False, server_default=""),
        sa.Column("locale", sa.String(8), nullable=False, server_default="fr"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("platform", "workspace", "user_id", name="uq_members_identity"),
    )
    op.create_table(
        "scheduled_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("detail", sa.String(400), nullable=True),
    )
    op.create_index("ix_scheduled_runs_kind_finished", "scheduled_runs", ["kind", "finished_at"])


def downgrade() -> None:
    op.drop_table("scheduled_runs")
    op.drop_table("members")

"""Core tables: agencies and the channels that belong to them.

Revision ID: 0001_core
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0001_core"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("name_key", sa.String(120), nullable=False, unique=True),
        sa.Column("region", sa.String(80), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "agency_channels",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "agency_id",
            sa.Integer,
            sa.ForeignKey("agencies.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("tags", sa.String(400), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("platform", "workspace", "channel_id", name="uq_agency_channels_ref"),
    )


def downgrade() -> None:
    op.drop_table("agency_channels")
    op.drop_table("agencies")

"""Federation: workspaces approved or pending, install invites, deliveries already handled,
and the bot's own keys.

Revision ID: 0003_federation
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0003_federation"
down_revision = "0001_core"
branch_labels = ("federation",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime()),
        sa.UniqueConstraint("platform", "workspace_id", name="uq_workspaces_identity"),
    )
    op.create_table(
        "install_invites",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime()),
    )
    op.create_table(
        "seen_deliveries",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_seen_deliveries_expires_at", "seen_deliveries", ["expires_at"])
    op.create_table(
        "bot_keys",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bot_keys")
    op.drop_table("seen_deliveries")
    op.drop_table("install_invites")
    op.drop_table("workspaces")

"""Dashboard: browser sessions and single-use sign-in tokens (hashes only).

Revision ID: 0070_dashboard
Revises: 0010_members_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0070_dashboard"
down_revision = "0010_members_runs"
branch_labels = ("dashboard",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False, server_default=""),
        sa.Column("user_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("assumed_role", sa.String(16), nullable=True),
        sa.Column("assumed_agencies", sa.String(400), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_dashboard_tokens_token_hash"),
    )
    op.create_index("ix_dashboard_tokens_expires_at", "dashboard_tokens", ["expires_at"])
    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False, server_default=""),
        sa.Column("organisation", sa.String(64), nullable=True),
        sa.Column("groups", sa.String(2000), nullable=False, server_default=""),
        sa.Column("assumed_role", sa.String(16), nullable=True),
        sa.Column("assumed_agencies", sa.String(400), nullable=True),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("flash", sa.String(1200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("groups_read_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_dashboard_sessions_token_hash"),
    )
    op.create_index("ix_dashboard_sessions_member_id", "dashboard_sessions", ["member_id"])
    op.create_index("ix_dashboard_sessions_expires_at", "dashboard_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("dashboard_sessions")
    op.drop_table("dashboard_tokens")

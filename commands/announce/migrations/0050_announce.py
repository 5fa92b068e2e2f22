"""Staff broadcasts: announcements, their outbox (one row per destination), acks, audit log.

Revision ID: 0050_announce
Revises: 0010_members_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0050_announce"
down_revision = "0010_members_runs"
branch_labels = ("announce",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "author_id",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("title", sa.String(150), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("link", sa.String(500), nullable=True),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("target", sa.String(500), nullable=False, server_default=""),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("status_message_id", sa.String(200), nullable=True),
        sa.Column("send_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("alerted_failures", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_announcements_state", "announcements", ["state"])
    op.create_table(
        "announcement_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "announcement_id",
            sa.Integer,
            sa.ForeignKey("announcements.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "agency_id",
            sa.Integer,
            sa.ForeignKey("agencies.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("agency_name", sa.String(120), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("message_id", sa.String(200), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint(
            "announcement_id", "platform", "workspace", "channel_id", name="uq_deliveries_dest"
        ),
    )
    op.create_index("ix_deliveries_queue", "announcement_deliveries", ["state", "next_attempt_at"])
    op.create_table(
        "announcement_acks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "announcement_id",
            sa.Integer,
            sa.ForeignKey("announcements.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "agency_id",
            sa.Integer,
            sa.ForeignKey("agencies.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("acked_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("announcement_id", "agency_id", name="uq_announcement_acks_agency"),
    )
    op.create_table(
        "announcement_audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("announcement_id", sa.Integer, nullable=False),
        sa.Column(
            "actor_id",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("audience", sa.String(600), nullable=False),
        sa.Column("channels", sa.Integer, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
    )
    op.create_index("ix_announcement_audit_announcement", "announcement_audit", ["announcement_id"])


def downgrade() -> None:
    op.drop_table("announcement_audit")
    op.drop_table("announcement_acks")
    op.drop_table("announcement_deliveries")
    op.drop_table("announcements")

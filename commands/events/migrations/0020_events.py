"""Events: events and their tags, RSVPs with a waitlist, announcements, reminders.

Revision ID: 0020_events
Revises: 0010_members_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0020_events"
down_revision = "0010_members_runs"
branch_labels = ("events",)
depends_on = None


def _event_fk() -> sa.Column:
    return sa.Column(
        "event_id", sa.Integer, sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    )


def _member_fk() -> sa.Column:
    return sa.Column(
        "member_id",
        sa.Integer,
        sa.ForeignKey("members.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(64), nullable=False, unique=True),
        sa.Column("series_id", sa.Integer, nullable=True, index=True),
        sa.Column("title", sa.String(150), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False, server_default=""),
        sa.Column("place", sa.String(200), nullable=False, server_default=""),
        sa.Column("link", sa.String(300), nullable=False, server_default=""),
        sa.Column(
            "agency_id",
            sa.Integer,
            sa.ForeignKey("agencies.id", ondelete="SET NULL"),
            nullable=True,
            index=True,
        ),
        sa.Column("audience", sa.String(8), nullable=False, server_default="agency"),
        sa.Column("tags", sa.String(400), nullable=False, server_default=""),
        sa.Column("capacity", sa.Integer, nullable=True),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=True),
        sa.Column("finishes_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default="scheduled"),
        sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "created_by",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("source_key", sa.String(80), nullable=True, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_events_status_starts_at", "events", ["status", "starts_at"])
    op.create_table(
        "event_tags",
        _event_fk(),
        sa.Column("tag", sa.String(30), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "tag", name="pk_event_tags"),
    )
    op.create_index("ix_event_tags_tag_event", "event_tags", ["tag", "event_id"])
    op.create_table(
        "event_rsvps",
        sa.Column("id", sa.Integer, primary_key=True),
        _event_fk(),
        _member_fk(),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.Column("queue_no", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("event_id", "member_id", name="uq_event_rsvps_event_member"),
    )
    op.create_index(
        "ix_event_rsvps_event_status", "event_rsvps", ["event_id", "status", "queue_no"]
    )
    op.create_table(
        "event_posts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "event_id",
            sa.Integer,
            sa.ForeignKey("events.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "event_reminders",
        sa.Column("id", sa.Integer, primary_key=True),
        _event_fk(),
        _member_fk(),
        sa.Column("offset_minutes", sa.Integer, nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.UniqueConstraint(
            "event_id", "member_id", "offset_minutes", name="uq_event_reminders_event_member"
        ),
    )
    op.create_index("ix_event_reminders_pending", "event_reminders", ["done_at", "due_at"])


def downgrade() -> None:
    for table in ("event_reminders", "event_posts", "event_rsvps", "event_tags", "events"):
        op.drop_table(table)

"""Events: mirrors in platforms' own calendars (Discord scheduled events) and the interest
members show there.

New tables only: nothing existing is copied or recreated (on SQLite a batch copy of `events`
would cascade its deletion to every table referencing it).

Revision ID: 0022_event_mirrors
Revises: 0021_attendance
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0022_event_mirrors"
down_revision = "0021_attendance"
branch_labels = None
depends_on = None


def _event_fk() -> sa.Column:
    return sa.Column(
        "event_id", sa.Integer, sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "event_mirrors",
        sa.Column("id", sa.Integer, primary_key=True),
        _event_fk(),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("mirror_id", sa.String(64), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("detail", sa.String(200), nullable=False, server_default=""),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint(
            "event_id", "platform", "workspace", name="uq_event_mirrors_event_place"
        ),
    )
    op.create_index(
        "ix_event_mirrors_mirror", "event_mirrors", ["platform", "workspace", "mirror_id"]
    )
    op.create_table(
        "event_interest",
        _event_fk(),
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("answered", sa.Boolean, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "member_id", name="pk_event_interest"),
    )


def downgrade() -> None:
    op.drop_table("event_interest")
    op.drop_table("event_mirrors")

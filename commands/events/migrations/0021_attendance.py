"""Events: what is left of an old event's RSVPs once they are anonymised (counts only).

Revision ID: 0021_attendance
Revises: 0020_events
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_attendance"
down_revision = "0020_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_attendance",
        sa.Column(
            "event_id",
            sa.Integer,
            sa.ForeignKey("events.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("going", sa.Integer, nullable=False, server_default="0"),
        sa.Column("maybe", sa.Integer, nullable=False, server_default="0"),
        sa.Column("not_going", sa.Integer, nullable=False, server_default="0"),
        sa.Column("waitlisted", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("event_attendance")

"""Events: an index on when answers were given (who was active in a period: the dashboard's
impact report reads it over months of answers).

Revision ID: 0022_rsvp_answered_at
Revises: 0021_attendance
"""

from __future__ import annotations

from alembic import op

revision = "0022_rsvp_answered_at"
down_revision = "0021_attendance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Covering (answered_at, member_id): the period's answerers are read from the index alone.
    op.create_index("ix_event_rsvps_answered_at", "event_rsvps", ["answered_at", "member_id"])


def downgrade() -> None:
    op.drop_index("ix_event_rsvps_answered_at", "event_rsvps")

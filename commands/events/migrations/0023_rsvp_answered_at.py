"""Events: an index on when answers were given (who was active in a period: the dashboard's
impact report reads it over months of answers).

Revision ID: 0023_rsvp_answered_at
Revises: 0022_event_mirrors
"""

from __future__ import annotations

from alembic import op

revision = "0023_rsvp_answered_at"
down_revision = "0022_event_mirrors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Covering (answered_at, member_id): the period's answerers are read from the index alone.
    op.create_index("ix_event_rsvps_answered_at", "event_rsvps", ["answered_at", "member_id"])


def downgrade() -> None:
    op.drop_index("ix_event_rsvps_answered_at", "event_rsvps")

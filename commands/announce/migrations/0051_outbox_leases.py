"""Announcements: leases on outbox rows (several processes share a broadcast, and take over a
dead one's rows), and the extra copies a late process got out, withdrawn with the row.

Revision ID: 0051_outbox_leases
Revises: 0050_announce
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0051_outbox_leases"
down_revision = "0050_announce"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch copy of the outbox on SQLite would cascade to acknowledgements.
    op.add_column("announcement_deliveries", sa.Column("lease_owner", sa.String(64)))
    op.add_column("announcement_deliveries", sa.Column("lease_until", UTCDateTime()))
    op.add_column("announcement_deliveries", sa.Column("extra_message_ids", sa.Text))


def downgrade() -> None:
    op.drop_column("announcement_deliveries", "extra_message_ids")
    op.drop_column("announcement_deliveries", "lease_until")
    op.drop_column("announcement_deliveries", "lease_owner")

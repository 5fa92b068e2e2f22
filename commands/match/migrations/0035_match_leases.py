"""Matching: leases on the sends of rounds (introductions, "did you meet?" questions), so that
several processes share the work and take over a dead one's.

Revision ID: 0035_match_leases
Revises: 0031_open_intros
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0035_match_leases"
# The matching tables were created by the profile feature's branch, as they shipped: their
# changes continue that branch (from this folder).
down_revision = "0031_open_intros"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch copy on SQLite would cascade through the round tables.
    op.add_column("match_group_members", sa.Column("lease_owner", sa.String(64)))
    op.add_column("match_group_members", sa.Column("lease_until", UTCDateTime()))


def downgrade() -> None:
    op.drop_column("match_group_members", "lease_until")
    op.drop_column("match_group_members", "lease_owner")

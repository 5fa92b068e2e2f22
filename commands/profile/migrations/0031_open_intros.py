"""Profiles: open introductions (anyone may ask to be introduced, not only those shown this
member as a suggestion).

Revision ID: 0031_open_intros
Revises: 0030_profiles
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031_open_intros"
down_revision = "0030_profiles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, never a batch copy: on SQLite a batch recreates the table, and
    # dropping the old `profiles` would cascade to `profile_tags` (foreign keys are on).
    op.add_column(
        "profiles", sa.Column("open_intros", sa.Boolean, nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("profiles", "open_intros")  # SQLite 3.35+ drops a column in place

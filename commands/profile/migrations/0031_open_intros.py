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
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(
            sa.Column("open_intros", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("open_intros")

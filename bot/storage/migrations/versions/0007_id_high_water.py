"""Numbers never given twice on SQLite: the highest id each table ever gave (`bot.storage.ids`).
Each feature's branch records its tables' current highest ids in a revision of its own.

Revision ID: 0007_id_high_water
Revises: 0006_change_counters
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_id_high_water"
down_revision = "0006_change_counters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "id_high_water",
        sa.Column("table_name", sa.String(60), primary_key=True),
        sa.Column("last_id", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("id_high_water")

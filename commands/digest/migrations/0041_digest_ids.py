"""Digests: their numbers are never given again after a delete. Records the highest id
each table holds now in `id_high_water` (the core table; no table is rebuilt, so nothing
cascades).

Revision ID: 0041_digest_ids
Revises: 0040_digests
"""

from __future__ import annotations

from alembic import op

revision = "0041_digest_ids"
down_revision = "0040_digests"
branch_labels = None
depends_on = "0007_id_high_water"


def upgrade() -> None:
    op.execute(
        "INSERT INTO id_high_water (table_name, last_id) "
        "SELECT 'digests', COALESCE(MAX(id), 0) FROM digests"
    )


def downgrade() -> None:
    names = ", ".join(f"'{n}'" for n in ["digests"])
    op.execute(f"DELETE FROM id_high_water WHERE table_name IN ({names})")

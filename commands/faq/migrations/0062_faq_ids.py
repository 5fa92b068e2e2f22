"""FAQ entries and unanswered questions: their numbers are never given again after a delete.
Records the highest id each table holds now in `id_high_water` (the core table; no table is
rebuilt, so nothing cascades).

Revision ID: 0062_faq_ids
Revises: 0061_faq_askers
"""

from __future__ import annotations

from alembic import op

revision = "0062_faq_ids"
down_revision = "0061_faq_askers"
branch_labels = None
depends_on = "0007_id_high_water"


def upgrade() -> None:
    op.execute(
        "INSERT INTO id_high_water (table_name, last_id) "
        "SELECT 'faq_entries', COALESCE(MAX(id), 0) FROM faq_entries"
    )
    op.execute(
        "INSERT INTO id_high_water (table_name, last_id) "
        "SELECT 'faq_unanswered', COALESCE(MAX(id), 0) FROM faq_unanswered"
    )


def downgrade() -> None:
    names = ", ".join(f"'{n}'" for n in ["faq_entries", "faq_unanswered"])
    op.execute(f"DELETE FROM id_high_water WHERE table_name IN ({names})")

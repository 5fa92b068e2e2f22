"""FAQ: how many people found the answer to an unanswered question unhelpful ("👎 No" under
an answer sends its question to the FAQ editors; `faq unanswered` says so).

Revision ID: 0065_faq_unhelpful
Revises: 0064_faq_learning
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0065_faq_unhelpful"
down_revision = "0064_faq_learning"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, never a batch rebuild: on SQLite a rebuild drops and recreates the
    # table, and dropping `faq_unanswered` would cascade to its askers.
    op.add_column(
        "faq_unanswered",
        sa.Column("unhelpful", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("faq_unanswered", "unhelpful")

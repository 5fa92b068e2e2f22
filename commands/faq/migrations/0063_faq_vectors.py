"""FAQ: the sentence vectors of each entry's texts, stored so that a start need not encode them.

Revision ID: 0063_faq_vectors
Revises: 0062_faq_ids
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0063_faq_vectors"
down_revision = "0062_faq_ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty at first: the next start encodes every entry and fills it.
    op.create_table(
        "faq_vectors",
        sa.Column(
            "entry_id",
            sa.Integer,
            sa.ForeignKey("faq_entries.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("encoder", sa.String(200), nullable=False),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("texts", sa.JSON, nullable=False),
        sa.Column("vectors", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("faq_vectors")

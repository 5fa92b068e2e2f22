"""FAQ: who asked each unanswered question, once per person (digests need several people).

Revision ID: 0061_faq_askers
Revises: 0060_faq
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0061_faq_askers"
down_revision = "0060_faq"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "faq_unanswered_askers",
        sa.Column(
            "question_id",
            sa.Integer,
            sa.ForeignKey("faq_unanswered.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("question_id", "member_id", name="pk_faq_unanswered_askers"),
    )
    # What is known of the past: each question's first asker.
    op.execute(
        "INSERT INTO faq_unanswered_askers (question_id, member_id) "
        "SELECT id, first_asker_id FROM faq_unanswered WHERE first_asker_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("faq_unanswered_askers")

"""FAQ: asks carry a token, their text, language and asker (buttons find what was asked; a
batch written twice counts once; erasing the asker erases the question); members' phrasings
proposed as variants, and who backed them; the entry an unanswered question was nearest to.

Revision ID: 0064_faq_learning
Revises: 0063_faq_vectors
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0064_faq_learning"
down_revision = "0063_faq_vectors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("faq_asks") as batch:
        batch.add_column(sa.Column("token", sa.String(24), nullable=True))
        batch.add_column(sa.Column("text", sa.String(500), nullable=True))
        batch.add_column(sa.Column("lang", sa.String(2), nullable=True))
        batch.add_column(sa.Column("member_id", sa.Integer, nullable=True))
        batch.create_foreign_key(
            "fk_faq_asks_member_id_members", "members", ["member_id"], ["id"], ondelete="CASCADE"
        )
    with op.batch_alter_table("faq_unanswered") as batch:
        batch.add_column(sa.Column("nearest_entry_id", sa.Integer, nullable=True))
        batch.create_foreign_key(
            "fk_faq_unanswered_nearest_entry_id_faq_entries",
            "faq_entries",
            ["nearest_entry_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_index("ix_faq_asks_token", "faq_asks", ["token"], unique=True)
    op.create_index("ix_faq_asks_member_id", "faq_asks", ["member_id"])
    op.create_table(
        "faq_phrasings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "entry_id",
            sa.Integer,
            sa.ForeignKey("faq_entries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("normalised", sa.String(500), nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("first_at", UTCDateTime(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("entry_id", "normalised", name="uq_faq_phrasings_entry_normalised"),
    )
    op.create_table(
        "faq_phrasing_votes",
        sa.Column(
            "phrasing_id",
            sa.Integer,
            sa.ForeignKey("faq_phrasings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("phrasing_id", "member_id", name="pk_faq_phrasing_votes"),
    )
    op.create_index("ix_faq_phrasing_votes_member_id", "faq_phrasing_votes", ["member_id"])


def downgrade() -> None:
    op.drop_table("faq_phrasing_votes")
    op.drop_table("faq_phrasings")
    with op.batch_alter_table("faq_unanswered") as batch:
        batch.drop_constraint("fk_faq_unanswered_nearest_entry_id_faq_entries", type_="foreignkey")
        batch.drop_column("nearest_entry_id")
    op.drop_index("ix_faq_asks_member_id", "faq_asks")
    op.drop_index("ix_faq_asks_token", "faq_asks")
    with op.batch_alter_table("faq_asks") as batch:
        batch.drop_constraint("fk_faq_asks_member_id_members", type_="foreignkey")
        batch.drop_column("member_id")
        batch.drop_column("lang")
        batch.drop_column("text")
        batch.drop_column("token")

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


def _add_reference(table: str, column: str, target: str, ondelete: str) -> None:
    """A nullable column referencing `target.id`. SQLite adds it with its REFERENCES clause in
    one ALTER (Alembic would want a batch rebuild for the constraint); elsewhere, a column then
    a named foreign key, as the metadata's naming convention names it."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f"REFERENCES {target} (id) ON DELETE {ondelete}"
        )
        return
    op.add_column(table, sa.Column(column, sa.Integer, nullable=True))
    op.create_foreign_key(
        f"fk_{table}_{column}_{target}", table, target, [column], ["id"], ondelete=ondelete
    )


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch rebuild: on SQLite a rebuild drops and recreates the
    # table, and dropping `faq_unanswered` would cascade to its askers.
    op.add_column("faq_asks", sa.Column("token", sa.String(24), nullable=True))
    op.add_column("faq_asks", sa.Column("text", sa.String(500), nullable=True))
    op.add_column("faq_asks", sa.Column("lang", sa.String(2), nullable=True))
    _add_reference("faq_asks", "member_id", "members", "CASCADE")
    _add_reference("faq_unanswered", "nearest_entry_id", "faq_entries", "SET NULL")
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
    # SQLite (3.35+) drops a column that no index names; its REFERENCES clause goes with it.
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            "fk_faq_unanswered_nearest_entry_id_faq_entries", "faq_unanswered", "foreignkey"
        )
        op.drop_constraint("fk_faq_asks_member_id_members", "faq_asks", "foreignkey")
    op.drop_column("faq_unanswered", "nearest_entry_id")
    for column in ("member_id", "lang", "text", "token"):
        op.drop_column("faq_asks", column)

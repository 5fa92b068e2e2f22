"""FAQ: entries and translations, ask log, unanswered questions, feedback, passive mode.

Revision ID: 0060_faq
Revises: 0010_members_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0060_faq"
down_revision = "0010_members_runs"
branch_labels = ("faq",)
depends_on = None


def _fk(column: str, target: str, ondelete: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(
        column, sa.Integer, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "faq_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("question", sa.String(300), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("variants", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        _fk("created_by", "members.id", "SET NULL"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "faq_translations",
        _fk("entry_id", "faq_entries.id", "CASCADE", nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("question", sa.String(300), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("entry_id", "lang", name="pk_faq_translations"),
    )
    op.create_table(
        "faq_asks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        _fk("entry_id", "faq_entries.id", "SET NULL"),
        sa.Column("passive", sa.Boolean, nullable=False),
    )
    op.create_index("ix_faq_asks_asked_at", "faq_asks", ["asked_at"])
    op.create_table(
        "faq_unanswered",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("normalised", sa.String(500), nullable=False, unique=True),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_asked_at", UTCDateTime(), nullable=False),
        sa.Column("last_asked_at", UTCDateTime(), nullable=False),
        _fk("first_asker_id", "members.id", "CASCADE"),
        sa.Column("channel", sa.String(200), nullable=True),
    )
    op.create_index("ix_faq_unanswered_first_asker_id", "faq_unanswered", ["first_asker_id"])
    op.create_table(
        "faq_feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("entry_id", "faq_entries.id", "CASCADE", nullable=False),
        _fk("member_id", "members.id", "CASCADE", nullable=False),
        sa.Column("helpful", sa.Boolean, nullable=False),
        sa.Column("given_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("entry_id", "member_id", name="uq_faq_feedback_vote"),
    )
    op.create_index("ix_faq_feedback_member_id", "faq_feedback", ["member_id"])
    op.create_table(
        "faq_passive_channels",
        sa.Column("channel", sa.String(200), primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        _fk("updated_by", "members.id", "SET NULL"),
    )
    op.create_table(
        "faq_answered_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        _fk("entry_id", "faq_entries.id", "SET NULL"),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("channel", "message_id", name="uq_faq_answered_messages_message"),
    )


def downgrade() -> None:
    for table in (
        "faq_answered_messages",
        "faq_passive_channels",
        "faq_feedback",
        "faq_unanswered",
        "faq_asks",
        "faq_translations",
        "faq_entries",
    ):
        op.drop_table(table)

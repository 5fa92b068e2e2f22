"""Members as subjects: the Slack org of each identity, identities a person linked, and the
single-use codes that link them.

Revision ID: 0004_subjects
Revises: 0003_federation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0004_subjects"
down_revision = "0003_federation"
branch_labels = None
depends_on = "0010_members_runs"


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch copy of `members` on SQLite would cascade to every feature.
    op.add_column("members", sa.Column("organisation", sa.String(32)))
    op.add_column("members", sa.Column("subject_id", sa.Integer))
    op.create_index("ix_members_subject_id", "members", ["subject_id"])
    op.create_table(
        "member_link_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_member_link_codes_member_id", "member_link_codes", ["member_id"])


def downgrade() -> None:
    op.drop_table("member_link_codes")
    op.drop_index("ix_members_subject_id", "members")
    op.drop_column("members", "subject_id")
    op.drop_column("members", "organisation")

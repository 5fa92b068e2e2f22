"""Profiles and matching: profiles and their tags, introductions, rounds, groups, answers.

Revision ID: 0030_profiles
Revises: 0010_members_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0030_profiles"
down_revision = "0010_members_runs"
branch_labels = ("profiles",)
depends_on = None


def _member(name: str) -> sa.Column:
    return sa.Column(
        name, sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False
    )


def _profiles() -> None:
    op.create_table(
        "profiles",
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "agency_id",
            sa.Integer,
            sa.ForeignKey("agencies.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("organisation", sa.String(120), nullable=False, server_default=""),
        sa.Column("role", sa.String(120), nullable=False, server_default=""),
        sa.Column("description", sa.String(500), nullable=False, server_default=""),
        sa.Column("languages", sa.String(60), nullable=False, server_default=""),
        sa.Column("opt_in", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("visible", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("snoozed_until", UTCDateTime(), nullable=True),
        sa.Column("edited_by_member", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
    )
    op.create_index("ix_profiles_updated_at", "profiles", ["updated_at"])
    op.create_index("ix_profiles_revision", "profiles", ["revision"])
    op.create_table(
        "profile_tags",
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("profiles.member_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("slug", sa.String(60), nullable=False),
        sa.Column("display", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("member_id", "slug", name="pk_profile_tags"),
    )
    op.create_index("ix_profile_tags_slug", "profile_tags", ["slug", "display", "member_id"])


def _rounds() -> None:
    op.create_table(
        "match_round_configs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("schedule", sa.String(120), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("next_run_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint(
            "platform", "workspace", "channel_id", name="uq_match_round_configs_ref"
        ),
    )
    op.create_table(
        "match_rounds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "config_id",
            sa.Integer,
            sa.ForeignKey("match_round_configs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("scheduled_for", UTCDateTime(), nullable=False),
        sa.Column("ran_at", UTCDateTime(), nullable=False),
        sa.Column("member_count", sa.Integer, nullable=False),
        sa.UniqueConstraint("config_id", "scheduled_for", name="uq_match_rounds_config_time"),
    )
    op.create_table(
        "match_groups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "round_id",
            sa.Integer,
            sa.ForeignKey("match_rounds.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("shared", sa.String(400), nullable=False, server_default=""),
        sa.Column("repeat", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("size", sa.Integer, nullable=False),
    )
    op.create_index("ix_match_groups_round_id", "match_groups", ["round_id"])


def _answers_and_history() -> None:
    op.create_table(
        "match_group_members",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "group_id",
            sa.Integer,
            sa.ForeignKey("match_groups.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _member("member_id"),
        sa.Column("intro_state", sa.String(8), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("ask_due_at", UTCDateTime(), nullable=True),
        sa.Column("ask_state", sa.String(8), nullable=True),
        sa.Column("answer", sa.String(4), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("group_id", "member_id", name="uq_match_group_members_group_member"),
    )
    op.create_index("ix_match_group_members_member_id", "match_group_members", ["member_id"])
    op.create_index("ix_match_group_members_intro", "match_group_members", ["intro_state"])
    op.create_index("ix_match_group_members_ask", "match_group_members", ["ask_due_at"])
    op.create_table(
        "match_pairs",
        sa.Column("id", sa.Integer, primary_key=True),
        _member("member_a"),
        _member("member_b"),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column(
            "group_id",
            sa.Integer,
            sa.ForeignKey("match_groups.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("met_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_match_pairs_member_a", "match_pairs", ["member_a"])
    op.create_index("ix_match_pairs_member_b", "match_pairs", ["member_b"])
    op.create_index("ix_match_pairs_met_at", "match_pairs", ["met_at"])


def upgrade() -> None:
    _profiles()
    _rounds()
    _answers_and_history()


def downgrade() -> None:
    for table in (
        "match_pairs",
        "match_group_members",
        "match_groups",
        "match_rounds",
        "match_round_configs",
        "profile_tags",
        "profiles",
    ):
        op.drop_table(table)

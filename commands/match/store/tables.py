"""The matching tables (history, round configs, rounds, groups, answers): see
commands/match/store/matching.py for what each holds.

Every column naming a person references `members.id` ON DELETE CASCADE: erasing a member
removes their pairs and their places in groups.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
)

from bot.storage.schema import UTCDateTime, member_ref, metadata

MATCH, ROUND = "match", "round"  # sources of an introduction


def _member(name: str) -> Column[int]:
    return member_ref(name, index=True)


match_round_configs = Table(
    "match_round_configs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("schedule", String(120), nullable=False),
    Column("active", Boolean, nullable=False, server_default=false()),
    Column("next_run_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("platform", "workspace", "channel_id", name="uq_match_round_configs_ref"),
)

match_rounds = Table(
    "match_rounds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "config_id",
        Integer,
        ForeignKey("match_round_configs.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("scheduled_for", UTCDateTime(), nullable=False),
    Column("ran_at", UTCDateTime(), nullable=False),
    Column("member_count", Integer, nullable=False),
    UniqueConstraint("config_id", "scheduled_for", name="uq_match_rounds_config_time"),
)

match_groups = Table(
    "match_groups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "round_id",
        Integer,
        ForeignKey("match_rounds.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("shared", String(400), nullable=False, server_default=""),  # slugs, rarest first
    Column("repeat", Boolean, nullable=False, server_default=false()),
    Column("size", Integer, nullable=False),
)

match_group_members = Table(
    "match_group_members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "group_id",
        Integer,
        ForeignKey("match_groups.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _member("member_id"),
    # pending -> sending -> dm | channel (posted in the round's channel) | failed
    Column("intro_state", String(8), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    # The "did you meet?" question: due at ask_due_at; NULL -> sending -> sent | failed.
    Column("ask_due_at", UTCDateTime(), nullable=True),
    Column("ask_state", String(8), nullable=True),
    Column("answer", String(4), nullable=True),  # yes | no
    Column("answered_at", UTCDateTime(), nullable=True),
    # Who is sending the introduction or the question, until when (bot/leases.py).
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
    UniqueConstraint("group_id", "member_id", name="uq_match_group_members_group_member"),
    Index("ix_match_group_members_intro", "intro_state"),
    Index("ix_match_group_members_ask", "ask_due_at"),
)

match_pairs = Table(
    "match_pairs",
    metadata,
    Column("id", Integer, primary_key=True),
    _member("member_a"),
    _member("member_b"),
    Column("source", String(8), nullable=False),
    Column("group_id", Integer, ForeignKey("match_groups.id", ondelete="CASCADE"), nullable=True),
    Column("met_at", UTCDateTime(), nullable=False),
    Index("ix_match_pairs_met_at", "met_at"),
)

cfg, rnd, grp, gm, pairs = (
    match_round_configs.c,
    match_rounds.c,
    match_groups.c,
    match_group_members.c,
    match_pairs.c,
)

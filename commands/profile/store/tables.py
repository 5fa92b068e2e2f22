"""The profile tables: one profile per member, and its interest tags (see profiles.py)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    false,
)

from bot.storage.schema import UTCDateTime, member_ref, metadata

MAX_DESCRIPTION = 500

profiles = Table(
    "profiles",
    metadata,
    member_ref("member_id", primary_key=True),
    Column("agency_id", Integer, ForeignKey("agencies.id", ondelete="SET NULL"), nullable=True),
    Column("organisation", String(120), nullable=False, server_default=""),
    Column("role", String(120), nullable=False, server_default=""),
    Column("description", String(MAX_DESCRIPTION), nullable=False, server_default=""),
    Column("languages", String(60), nullable=False, server_default=""),
    Column("opt_in", Boolean, nullable=False, server_default=false()),
    Column("visible", Boolean, nullable=False, server_default=false()),
    # Anyone may ask to be introduced, not only members shown this one as a suggestion.
    Column("open_intros", Boolean, nullable=False, server_default=false()),
    Column("snoozed_until", UTCDateTime(), nullable=True),
    Column("edited_by_member", Boolean, nullable=False, server_default=false()),
    Column("updated_at", UTCDateTime(), nullable=False),
    # +1 at every write: with the row count, a fingerprint of the table that does not depend
    # on clocks (two writes in the same microsecond, a test's fixed clock).
    Column("revision", Integer, nullable=False, server_default="1"),
    Index("ix_profiles_updated_at", "updated_at"),
    Index("ix_profiles_revision", "revision"),
)

profile_tags = Table(
    "profile_tags",
    metadata,
    Column(
        "member_id",
        Integer,
        ForeignKey("profiles.member_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("slug", String(60), nullable=False),
    Column("display", String(40), nullable=False),
    PrimaryKeyConstraint("member_id", "slug", name="pk_profile_tags"),
    # Covers both `match topic` lookups and the count of each spelling (the vocabulary).
    Index("ix_profile_tags_slug", "slug", "display", "member_id"),
)

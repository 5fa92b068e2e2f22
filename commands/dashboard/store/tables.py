"""The dashboard's tables: browser sessions, and the single-use tokens that open them.

Only hashes of tokens are stored (SHA-256): whoever reads the database cannot sign in with
what they read. A session names a member (`members.id`, ON DELETE CASCADE): erasing the member
signs them out everywhere and leaves no trace of their visits.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from bot.storage.schema import UTCDateTime, member_ref, metadata

LINK, STATE = "link", "state"  # token kinds: a `fedbot web link`, an OAuth sign-in in progress

dashboard_tokens = Table(
    "dashboard_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    # A link: who it signs in (and, for the console, as which role). A state: the provider.
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False, server_default=""),
    Column("user_id", String(64), nullable=False, server_default=""),
    Column("assumed_role", String(16), nullable=True),
    Column("assumed_agencies", String(400), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
    Index("ix_dashboard_tokens_expires_at", "expires_at"),
)

dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    member_ref("member_id", index=True),
    # The caller, as the platform said at sign-in; groups are read again while it lasts.
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("display_name", String(120), nullable=False, server_default=""),
    Column("organisation", String(64), nullable=True),
    Column("groups", String(2000), nullable=False, server_default=""),  # ids, comma separated
    Column("assumed_role", String(16), nullable=True),  # console links only
    Column("assumed_agencies", String(400), nullable=True),
    Column("lang", String(2), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("flash", String(1200), nullable=True),  # a notice for the next page (JSON)
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("groups_read_at", UTCDateTime(), nullable=False),
    Index("ix_dashboard_sessions_expires_at", "expires_at"),
)

"""Members the bot holds data about: one row per platform identity.

Features reference `members.id` with ON DELETE CASCADE, so erasing a member (GDPR) removes
their RSVPs, profile and match history in one statement. A member row is created only when a
feature stores something about the person, never merely because they typed a command.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Integer, String, Table, UniqueConstraint, select

from bot.identity import DIRECT_MESSAGES, Caller
from bot.storage.database import Database
from bot.storage.schema import UTCDateTime, metadata

members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("display_name", String(120), nullable=False, server_default=""),
    Column("locale", String(8), nullable=False, server_default="fr"),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("platform", "workspace", "user_id", name="uq_members_identity"),
)


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    platform: str
    workspace: str
    user_id: str
    display_name: str
    locale: str
    created_at: datetime

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.workspace}:{self.user_id}"


def _member(row: object) -> Member:
    return Member(
        row.id,
        row.platform,
        row.workspace,
        row.user_id,
        row.display_name,  # type: ignore[attr-defined]
        row.locale,
        row.created_at,  # type: ignore[attr-defined]
    )


class MemberRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ensure(self, caller: Caller, now: datetime) -> Member:
        """The caller's member row, created on first use; name and locale kept fresh.
        The common case (known member, nothing changed) is one read; otherwise one write
        that returns the row."""
        found = await self.find(caller.platform, caller.workspace, caller.user_id)
        if found is None and caller.workspace == DIRECT_MESSAGES:
            # A button clicked in a DM (a reminder's "I no longer come"): the same person as
            # in their workspace, not a new member.
            found = await self.find_anywhere(caller.platform, caller.user_id)
            if found is not None:
                return found
        name, locale = caller.display_name[:120], caller.locale[:8]
        if found and (found.display_name, found.locale) == (name, locale):
            return found
        async with self.db.write() as conn:
            if found:
                stmt = (
                    members.update()
                    .where(members.c.id == found.id)
                    .values(display_name=name or found.display_name, locale=locale)
                )
            else:
                stmt = members.insert().values(
                    platform=caller.platform,
                    workspace=caller.workspace,
                    user_id=caller.user_id,
                    display_name=name,
                    locale=locale,
                    created_at=now,
                )
            row = (await conn.execute(stmt.returning(*members.c))).one()
        return _member(row)

    async def find(self, platform: str, workspace: str, user_id: str) -> Member | None:
        c = members.c
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(members).where(
                        c.platform == platform, c.workspace == workspace, c.user_id == user_id
                    )
                )
            ).first()
        return _member(row) if row else None

    async def find_anywhere(self, platform: str, user_id: str) -> Member | None:
        """The member with this user id in any workspace of the platform (most recent)."""
        c = members.c
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(members)
                    .where(c.platform == platform, c.user_id == user_id)
                    .order_by(c.id.desc())
                    .limit(1)
                )
            ).first()
        return _member(row) if row else None

    async def get(self, member_id: int) -> Member | None:
        async with self.db.read() as conn:
            row = (await conn.execute(select(members).where(members.c.id == member_id))).first()
        return _member(row) if row else None

    async def erase(self, member_id: int) -> bool:
        """Delete the member and, through foreign keys, everything held about them."""
        async with self.db.write() as conn:
            result = await conn.execute(members.delete().where(members.c.id == member_id))
        return result.rowcount > 0

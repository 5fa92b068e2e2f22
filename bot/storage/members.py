"""Members the bot holds data about: one row per platform identity, grouped into subjects.

Features reference `members.id` with ON DELETE CASCADE, so erasing a member (GDPR) removes
their RSVPs, profile and match history in one statement. A member row is created only when a
feature stores something about the person, never merely because they typed a command.

A person is one *subject* across workspaces (`subject`): a Discord user id is the same person
in every server and in direct messages; a Slack user is the same person in every workspace of
an Enterprise Grid org (`organisation`); and a person may link their identities themselves
(`profile link`: a single-use code typed from the other identity sets a shared `subject_id`).
Export and erasure cover the whole subject.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    and_,
    bindparam,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError

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
    Column("organisation", String(32)),  # the Slack Enterprise Grid org of the workspace
    Column("subject_id", Integer, index=True),  # identities the person linked share this
    UniqueConstraint("platform", "workspace", "user_id", name="uq_members_identity"),
)

# Every command looks its caller up: built once, not per command (building it was a tenth of
# a `/faq ask`'s time on the event loop).
_BY_IDENTITY = select(members).where(
    members.c.platform == bindparam("platform"),
    members.c.workspace == bindparam("workspace"),
    members.c.user_id == bindparam("user_id"),
)

# Single-use codes a person types from another identity to link both (`profile link`); only a
# hash is kept, and the code goes with the member who asked for it.
member_link_codes = Table(
    "member_link_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column(
        "member_id",
        Integer,
        ForeignKey("members.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("expires_at", UTCDateTime(), nullable=False),
)
LINK_CODE_TTL = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    platform: str
    workspace: str
    user_id: str
    display_name: str
    locale: str
    created_at: datetime
    organisation: str | None = None
    subject_id: int | None = None

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
        row.organisation,  # type: ignore[attr-defined]
        row.subject_id,  # type: ignore[attr-defined]
    )


def _same_person(platform: str, user_id: str, workspace: str, organisation: str | None):  # noqa: ANN202
    """Rows that are the same person by the platform's own ids."""
    c = members.c
    if platform == "discord":  # one user id across every server and DMs
        return and_(c.platform == platform, c.user_id == user_id)
    here = and_(c.platform == platform, c.user_id == user_id, c.workspace == workspace)
    if organisation:  # Slack: one user across the workspaces of an Enterprise Grid org
        return or_(
            here,
            and_(c.platform == platform, c.user_id == user_id, c.organisation == organisation),
        )
    return here


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


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
        org = caller.organisation
        if found and (found.display_name, found.locale, found.organisation) == (name, locale, org):
            return found
        try:
            return await self._write(caller, found, name, locale, org, now)
        except IntegrityError:
            # Two first commands of one person at once: the other created the row.
            again = await self.find(caller.platform, caller.workspace, caller.user_id)
            if found is not None or again is None:
                raise
            return again

    async def _write(
        self,
        caller: Caller,
        found: Member | None,
        name: str,
        locale: str,
        org: str | None,
        now: datetime,
    ) -> Member:
        async with self.db.write() as conn:
            if found:
                stmt = (
                    members.update()
                    .where(members.c.id == found.id)
                    .values(
                        display_name=name or found.display_name,
                        locale=locale,
                        organisation=org or found.organisation,
                    )
                )
            else:
                stmt = members.insert().values(
                    platform=caller.platform,
                    workspace=caller.workspace,
                    user_id=caller.user_id,
                    display_name=name,
                    locale=locale,
                    created_at=now,
                    organisation=org,
                )
            row = (await conn.execute(stmt.returning(*members.c))).one()
        return _member(row)

    async def find(self, platform: str, workspace: str, user_id: str) -> Member | None:
        identity = {"platform": platform, "workspace": workspace, "user_id": user_id}
        async with self.db.read() as conn:
            row = (await conn.execute(_BY_IDENTITY, identity)).first()
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

    async def subject_of(self, caller: Caller) -> list[Member]:
        """Every identity of the person calling, in any workspace (their DMs included)."""
        same = _same_person(caller.platform, caller.user_id, caller.workspace, caller.organisation)
        found = await self._with_links(same)
        # A row may know the Slack org the caller did not say: widen through each row once.
        everyone = {m.id: m for m in found}
        for member in found:
            everyone.update((m.id, m) for m in await self.subject(member))
        return [everyone[k] for k in sorted(everyone)]

    async def subject(self, member: Member) -> list[Member]:
        """Every identity of the person this member row is."""
        same = _same_person(member.platform, member.user_id, member.workspace, member.organisation)
        return await self._with_links(or_(members.c.id == member.id, same))

    async def _with_links(self, condition) -> list[Member]:  # noqa: ANN001
        c = members.c
        async with self.db.read() as conn:
            rows = (await conn.execute(select(members).where(condition))).all()
            subjects = {r.subject_id for r in rows if r.subject_id is not None}
            if subjects:
                linked = await conn.execute(
                    select(members).where(or_(c.subject_id.in_(subjects), c.id.in_(subjects)))
                )
                rows = [*rows, *linked.all()]
        unique = {r.id: _member(r) for r in rows}
        return [unique[k] for k in sorted(unique)]

    async def link_code(self, member_id: int, now: datetime) -> str:
        """A single-use code (valid LINK_CODE_TTL) that links another identity to this one."""
        code = "-".join(secrets.token_hex(2).upper() for _ in range(3))
        async with self.db.write() as conn:
            await conn.execute(
                member_link_codes.delete().where(member_link_codes.c.expires_at <= now)
            )
            await conn.execute(
                member_link_codes.insert().values(
                    code_hash=_hash(code), member_id=member_id, expires_at=now + LINK_CODE_TTL
                )
            )
        return code

    async def redeem_link_code(self, code: str, member_id: int, now: datetime) -> bool:
        """Link `member_id` with the member who asked for `code`; the code is spent. False for
        an unknown or expired code."""
        k = member_link_codes.c
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    member_link_codes.delete()
                    .where(k.code_hash == _hash(code), k.expires_at > now)
                    .returning(k.member_id)
                )
            ).first()
            if row is None:
                return False
            pair = (row.member_id, member_id)
            found = (
                await conn.execute(
                    select(members.c.id, members.c.subject_id).where(members.c.id.in_(pair))
                )
            ).all()
            subject = min([r.subject_id for r in found if r.subject_id is not None] + list(pair))
            old = {r.subject_id for r in found if r.subject_id is not None}
            await conn.execute(
                members.update()
                .where(or_(members.c.id.in_(pair), members.c.subject_id.in_(old)))
                .values(subject_id=subject)
            )
        return True

    async def erase(self, member_id: int) -> bool:
        """Delete the member and, through foreign keys, everything held about them."""
        async with self.db.write() as conn:
            result = await conn.execute(members.delete().where(members.c.id == member_id))
        return result.rowcount > 0

"""Workspaces admitted at run time, and install invites.

The federation's workspaces are listed in config (`[federation]`); this table adds the ones an
admin approved later (`fedbot workspaces approve`) and holds the *pending* requests: an OAuth
install from an unlisted Slack workspace, a Discord server that invited the bot. Invites are
single-use tokens for the install page; only a hash of each is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Integer, String, Table, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError

from bot.storage.database import Database
from bot.storage.schema import UTCDateTime, metadata

APPROVED, PENDING, REFUSED = "approved", "pending", "refused"

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("workspace_id", String(64), nullable=False),
    Column("name", String(200), nullable=False, server_default=""),
    Column("status", String(16), nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime()),
    UniqueConstraint("platform", "workspace_id", name="uq_workspaces_identity"),
)

install_invites = Table(
    "install_invites",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime()),
)


@dataclass(frozen=True, slots=True)
class Workspace:
    platform: str
    workspace_id: str
    name: str
    status: str
    requested_at: datetime
    decided_at: datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class WorkspaceRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self) -> list[Workspace]:
        c = workspaces.c
        async with self.db.read() as conn:
            rows = await conn.execute(select(workspaces).order_by(c.platform, c.workspace_id))
            return [_workspace(r) for r in rows]

    async def approved(self) -> set[tuple[str, str]]:
        c = workspaces.c
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(c.platform, c.workspace_id).where(c.status == APPROVED)
            )
            return {(r.platform, r.workspace_id) for r in rows}

    async def get(self, platform: str, workspace_id: str) -> Workspace | None:
        c = workspaces.c
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(workspaces).where(c.platform == platform, c.workspace_id == workspace_id)
                )
            ).first()
        return _workspace(row) if row else None

    async def request(self, platform: str, workspace_id: str, name: str, now: datetime) -> bool:
        """Record a pending request; False when the workspace is already known (a request
        is made once: an admin's refusal stands until they approve)."""
        try:
            async with self.db.write() as conn:
                await conn.execute(
                    workspaces.insert().values(
                        platform=platform,
                        workspace_id=workspace_id,
                        name=name[:200],
                        status=PENDING,
                        requested_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def decide(
        self, platform: str, workspace_id: str, status: str, now: datetime, name: str = ""
    ) -> None:
        """Approve or refuse, whether or not a request was made."""
        c = workspaces.c
        async with self.db.write() as conn:
            result = await conn.execute(
                workspaces.update()
                .where(c.platform == platform, c.workspace_id == workspace_id)
                .values(status=status, decided_at=now)
            )
            if result.rowcount == 0:
                await conn.execute(
                    workspaces.insert().values(
                        platform=platform,
                        workspace_id=workspace_id,
                        name=name[:200],
                        status=status,
                        requested_at=now,
                        decided_at=now,
                    )
                )

    # -- invites

    async def create_invite(self, platform: str, now: datetime, valid: timedelta) -> str:
        token = secrets.token_urlsafe(24)
        async with self.db.write() as conn:
            await conn.execute(install_invites.delete().where(install_invites.c.expires_at <= now))
            await conn.execute(
                install_invites.insert().values(
                    token_hash=_hash(token),
                    platform=platform,
                    created_at=now,
                    expires_at=now + valid,
                )
            )
        return token

    async def invite_valid(self, token: str, now: datetime) -> bool:
        c = install_invites.c
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(c.token_hash).where(
                        c.token_hash == _hash(token), c.used_at.is_(None), c.expires_at > now
                    )
                )
            ).first()
        return row is not None

    async def use_invite(self, token: str, now: datetime) -> bool:
        """Spend an invite: True once, for an unexpired unused token."""
        c = install_invites.c
        async with self.db.write() as conn:
            result = await conn.execute(
                install_invites.update()
                .where(c.token_hash == _hash(token), c.used_at.is_(None), c.expires_at > now)
                .values(used_at=now)
            )
        return result.rowcount == 1


def _workspace(row: object) -> Workspace:
    return Workspace(
        row.platform,  # type: ignore[attr-defined]
        row.workspace_id,  # type: ignore[attr-defined]
        row.name,  # type: ignore[attr-defined]
        row.status,  # type: ignore[attr-defined]
        row.requested_at,  # type: ignore[attr-defined]
        row.decided_at,  # type: ignore[attr-defined]
    )

"""Mirrors of events in platforms' own calendars (Discord scheduled events): one row per event
and workspace, whatever happens to it.

A mirror is claimed (`creating`) in its own transaction before the platform is asked to create
it, and linked to the platform's id right after; the unique (event, platform, workspace) row is
what keeps an event from being mirrored twice in one place, even by two processes. A row left
`creating` by a crash is in doubt: the platform is asked whether it holds an event with this
event's key before anything is created again (commands/events/mirrors.py).

    creating -> linked -> cancelled      (the event is cancelled)
             |        -> unlinked        (deleted by hand on the platform, left alone)
             -> failed -> creating       (retried after a while: a permission given since)
             -> (row deleted)            (transient failure: the next sweep tries again)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, select
from sqlalchemy.exc import IntegrityError

from bot.storage.database import Database
from commands.events.store.tables import (
    CANCELLED,
    CREATING,
    FAILED,
    LINKED,
    SCHEDULED,
    event_mirrors,
    event_posts,
    events,
)

M, P, E = event_mirrors.c, event_posts.c, events.c

_BY_EVENT = select(event_mirrors).where(M.event_id == bindparam("event_id")).order_by(M.id)
_BY_MIRROR = select(event_mirrors).where(
    M.platform == bindparam("platform"),
    M.workspace == bindparam("workspace"),
    M.mirror_id == bindparam("mirror_id"),
)
# Events announced in a workspace of these platforms, not finished, starting within the
# horizon, and not mirrored there yet (no row at all: a failed or unlinked one is not due).
_DUE = (
    select(P.event_id, P.platform, P.workspace)
    .distinct()
    .select_from(
        event_posts.join(events, E.id == P.event_id).outerjoin(
            event_mirrors,
            and_(
                M.event_id == P.event_id,
                M.platform == P.platform,
                M.workspace == P.workspace,
            ),
        )
    )
    .where(
        P.platform.in_(bindparam("platforms", expanding=True)),
        E.status == SCHEDULED,
        E.starts_at > bindparam("now"),
        E.starts_at <= bindparam("until"),
        M.id.is_(None),
    )
    .order_by(P.event_id, P.platform, P.workspace)
    .limit(bindparam("limit"))
)


@dataclass(frozen=True, slots=True)
class Mirror:
    id: int
    event_id: int
    platform: str
    workspace: str
    mirror_id: str | None
    state: str
    detail: str
    updated_at: datetime


def _mirror(row: object) -> Mirror:
    return Mirror(
        row.id,  # type: ignore[attr-defined]
        row.event_id,  # type: ignore[attr-defined]
        row.platform,  # type: ignore[attr-defined]
        row.workspace,  # type: ignore[attr-defined]
        row.mirror_id,  # type: ignore[attr-defined]
        row.state,  # type: ignore[attr-defined]
        row.detail,  # type: ignore[attr-defined]
        row.updated_at,  # type: ignore[attr-defined]
    )


@dataclass(frozen=True, slots=True)
class Due:
    """An event to mirror in one workspace."""

    event_id: int
    platform: str
    workspace: str


class MirrorRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(
        self, event_id: int, platform: str, workspace: str, now: datetime
    ) -> int | None:
        """A new `creating` row (its id), or None when the event has a row there already."""
        values = {
            "event_id": event_id,
            "platform": platform,
            "workspace": workspace,
            "state": CREATING,
            "updated_at": now,
        }
        try:
            async with self.db.write() as conn:
                found = (
                    await conn.execute(
                        select(M.id).where(
                            M.event_id == event_id, M.platform == platform, M.workspace == workspace
                        )
                    )
                ).first()
                if found is not None:
                    return None
                result = await conn.execute(event_mirrors.insert().values(**values))
        except IntegrityError:  # another process claimed it between our read and write
            return None
        return int(result.inserted_primary_key[0])

    async def reclaim(self, row_id: int, now: datetime) -> bool:
        """A failed mirror is tried again: `creating`, if it is still failed."""
        async with self.db.write() as conn:
            result = await conn.execute(
                event_mirrors.update()
                .where(M.id == row_id, M.state == FAILED)
                .values(state=CREATING, detail="", updated_at=now)
            )
        return result.rowcount > 0

    async def set(
        self,
        row_id: int,
        state: str,
        now: datetime,
        *,
        mirror_id: str | None = None,
        detail: str = "",
    ) -> None:
        values: dict[str, object] = {"state": state, "detail": detail[:200], "updated_at": now}
        if mirror_id is not None:
            values["mirror_id"] = mirror_id
        async with self.db.write() as conn:
            await conn.execute(event_mirrors.update().where(M.id == row_id).values(**values))

    async def release(self, row_id: int) -> None:
        """Forget a claim that could not be carried out for now (the adapter is away…)."""
        async with self.db.write() as conn:
            await conn.execute(event_mirrors.delete().where(M.id == row_id))

    async def of_event(self, event_id: int) -> list[Mirror]:
        async with self.db.read() as conn:
            return [_mirror(r) for r in await conn.execute(_BY_EVENT, {"event_id": event_id})]

    async def by_mirror(self, platform: str, workspace: str, mirror_id: str) -> Mirror | None:
        params = {"platform": platform, "workspace": workspace, "mirror_id": mirror_id}
        async with self.db.read() as conn:
            row = (await conn.execute(_BY_MIRROR, params)).first()
        return _mirror(row) if row else None

    async def in_state(self, state: str, platforms: Sequence[str]) -> list[Mirror]:
        query = (
            select(event_mirrors)
            .where(M.state == state, M.platform.in_(list(platforms)))
            .order_by(M.id)
        )
        async with self.db.read() as conn:
            return [_mirror(r) for r in await conn.execute(query)]

    async def linked_upcoming(self, platforms: Sequence[str], now: datetime) -> list[Mirror]:
        """Linked mirrors of events not started yet (whose interest may still change)."""
        query = (
            select(event_mirrors)
            .join(events, E.id == M.event_id)
            .where(
                M.state == LINKED,
                M.platform.in_(list(platforms)),
                E.status == SCHEDULED,
                E.starts_at > now,
            )
            .order_by(M.id)
        )
        async with self.db.read() as conn:
            return [_mirror(r) for r in await conn.execute(query)]

    async def linked_cancelled(self, platforms: Sequence[str]) -> list[Mirror]:
        """Linked mirrors of cancelled events (their cancellation could not reach the
        platform yet)."""
        query = (
            select(event_mirrors)
            .join(events, E.id == M.event_id)
            .where(M.state == LINKED, M.platform.in_(list(platforms)), E.status == CANCELLED)
            .order_by(M.id)
        )
        async with self.db.read() as conn:
            return [_mirror(r) for r in await conn.execute(query)]

    async def due(
        self, platforms: Sequence[str], now: datetime, until: datetime, limit: int = 200
    ) -> list[Due]:
        if not platforms:
            return []
        params = {"platforms": list(platforms), "now": now, "until": until, "limit": limit}
        async with self.db.read() as conn:
            rows = (await conn.execute(_DUE, params)).all()
        return [Due(r.event_id, r.platform, r.workspace) for r in rows]

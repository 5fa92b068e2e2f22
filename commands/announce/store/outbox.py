"""The broadcast outbox: one row per destination of a confirmed announcement.

See commands/announce/store/announcements.py for the life of a row. Several processes share
the outbox through leases (bot/leases.py):

- `reserve` takes a batch of due rows for this process (owner and expiry written, `FOR UPDATE
  SKIP LOCKED` on PostgreSQL so that processes take different rows); the heartbeat renews the
  batch while the courier works through it, and `release` hands back what a stopping process
  did not start;
- `claim` moves one reserved row in flight (`sending`) just before the platform call, and
  `mark_sent`/`settle` leave the flight — each a small transaction guarded by the state it
  leaves *and* the lease, so a row is never handled by two live processes, and a click on
  `announce delete` racing a send cannot lose the copy;
- a row left in flight by a process that died is reserved again once its lease lapsed: it is
  *in doubt* (its copy may be out), and the courier's send checks the platform for the row's
  delivery key before posting again. A copy that still went out twice (an owner so slow its
  lease lapsed) is recorded in `extra_message_ids`, and `announce delete` withdraws it too.

Hot statements are built once, at import: building a statement costs more than running it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.identity import ChannelRef
from bot.leases import Leases
from bot.storage.database import Database
from commands.announce.store import outbox_statements as sql
from commands.announce.store.outbox_rows import (
    CANCELLED,
    EXTRA_SEPARATOR,
    FAILED,
    IN_FLIGHT,
    KEPT,
    LEASED,
    PENDING,
    QUEUED,
    SENT,
    TO_WITHDRAW,
    WITHDRAWING,
    WITHDRAWN,
    Delivery,
    c,
    deliveries,
    delivery_of,
)

if TYPE_CHECKING:
    from commands.announce.store.announcements import Destination


class Outbox:
    table = deliveries

    def __init__(self, db: Database, leases: Leases) -> None:
        self.db = db
        self.leases = leases
        leases.register(LEASED)

    @property
    def owner(self) -> str:
        return self.leases.owner

    async def insert(
        self,
        conn: AsyncConnection,
        announcement_id: int,
        destinations: Sequence[Destination],
        first_try: datetime,
    ) -> None:
        if not destinations:
            return
        await conn.execute(
            deliveries.insert(),
            [
                {
                    "announcement_id": announcement_id,
                    "agency_id": d.agency_id,
                    "agency_name": d.agency_name[:120],
                    "platform": d.ref.platform,
                    "workspace": d.ref.workspace,
                    "channel_id": d.ref.channel_id,
                    "state": PENDING,
                    "attempts": 0,
                    "next_attempt_at": first_try,
                }
                for d in destinations
            ],
        )

    async def reserve(
        self, announcement_id: int, now: datetime, platforms: Iterable[str], limit: int
    ) -> list[Delivery]:
        """Up to `limit` due rows, now held by this process (see the module's docstring)."""
        params = {
            "b_ann": announcement_id,
            "b_now": now,
            "b_platforms": list(platforms),
            "b_limit": limit,
        }

        async def work(conn: AsyncConnection) -> list[Delivery]:
            rows = [delivery_of(r) for r in await conn.execute(sql.RESERVABLE, params)]
            if rows:
                await conn.execute(
                    sql.RESERVE,
                    {
                        "b_ids": [r.id for r in rows],
                        "b_owner": self.owner,
                        "b_until": self.leases.until(now),
                    },
                )
            return rows

        rows = await self.db.transact(work)
        self.leases.took_over("announce", sum(r.in_doubt for r in rows))
        return rows

    async def release(self) -> int:
        """A stopping process hands back the rows it reserved and did not start."""
        statement = (
            deliveries.update()
            .where(c.lease_owner == self.owner, c.state.in_(QUEUED))
            .values(lease_owner=None, lease_until=None)
        )

        async def work(conn: AsyncConnection) -> int:
            return (await conn.execute(statement)).rowcount

        return await self.db.transact(work)

    async def next_due(
        self, announcement_id: int, now: datetime, platforms: Iterable[str]
    ) -> datetime | None:
        params = {"b_ann": announcement_id, "b_now": now, "b_platforms": list(platforms)}
        async with self.db.read() as conn:
            value = (await conn.execute(sql.NEXT_DUE, params)).scalar()
        return value

    async def claim(self, row: Delivery) -> bool:
        """Reserved -> in flight; False if the row changed meanwhile (a withdrawal) or is no
        longer ours. A row in doubt stays in flight: the attempt is counted."""
        to = IN_FLIGHT.get(row.state, row.state)
        params = {"b_id": row.id, "b_from": row.state, "b_to": to, "b_owner": self.owner}
        return bool(await self._run(sql.CLAIM, params))

    async def mark_sent(self, row: Delivery, message_id: str, now: datetime) -> bool:
        """The copy is out. False when the row was no longer ours: the copy is then recorded
        as an extra one (unless it is the very one the new owner adopted)."""
        message_id = message_id[:200]
        params = {"b_id": row.id, "b_message": message_id, "b_now": now, "b_owner": self.owner}
        if await self._run(sql.MARK_SENT, params):
            return True
        await self._run(sql.EXTRA, {"b_id": row.id, "b_message": message_id, "b_now": now})
        return False

    async def settle(self, row: Delivery, to: str, at: datetime, error: str | None = None) -> None:
        """Leave the in-flight state: withdrawn, failed/kept, or queued again for `at`."""
        params = {
            "b_id": row.id,
            "b_from": IN_FLIGHT.get(row.state, row.state),
            "b_to": to,
            "b_error": error[:300] if error else None,
            "b_next": at,
            "b_owner": self.owner,
        }
        await self._run(sql.SETTLE, params)

    async def withdrawn(self, row: Delivery, deleted: Sequence[str], now: datetime) -> None:
        """The copies in `deleted` are gone. An extra copy recorded meanwhile (by a process
        that got it out late) keeps the row queued for withdrawal."""

        async def work(conn: AsyncConnection) -> None:
            query = select(c.extra_message_ids).where(c.id == row.id).with_for_update()
            current = ((await conn.execute(query)).scalar() or "").split()
            left = [m for m in current if m not in deleted]
            await conn.execute(
                deliveries.update()
                .where(c.id == row.id, c.state == WITHDRAWING, c.lease_owner == self.owner)
                .values(
                    state=TO_WITHDRAW if left else WITHDRAWN,
                    extra_message_ids=EXTRA_SEPARATOR.join(left) or None,
                    next_attempt_at=now,
                    last_error=None,
                    lease_owner=None,
                    lease_until=None,
                )
            )

        await self.db.transact(work)

    async def _run(self, statement: object, params: dict[str, object]) -> int:
        async def work(conn: AsyncConnection) -> int:
            return (await conn.execute(statement, params)).rowcount  # type: ignore[arg-type]

        return await self.db.transact(work)

    async def requeue_failed(
        self, conn: AsyncConnection, announcement_id: int, now: datetime
    ) -> int:
        result = await conn.execute(
            deliveries.update()
            .where(c.announcement_id == announcement_id, c.state == FAILED)
            .values(state=PENDING, attempts=0, next_attempt_at=now)
        )
        return result.rowcount

    async def withdraw_all(
        self, conn: AsyncConnection, announcement_id: int, now: datetime
    ) -> tuple[int, int]:
        mine = c.announcement_id == announcement_id
        cancelled = await conn.execute(
            deliveries.update().where(mine, c.state == PENDING).values(state=CANCELLED)
        )
        queued = await conn.execute(
            deliveries.update()
            .where(mine, c.state.in_((SENT, KEPT)))
            .values(state=TO_WITHDRAW, attempts=0, next_attempt_at=now, last_error=None)
        )
        return cancelled.rowcount, queued.rowcount

    async def counts(self, announcement_id: int) -> dict[str, dict[str, int]]:
        """{platform: {state: n}}."""
        out: dict[str, dict[str, int]] = defaultdict(dict)
        async with self.db.read() as conn:
            for r in await conn.execute(sql.COUNTS, {"b_ann": announcement_id}):
                out[r.platform][r.state] = r.n
        return dict(out)

    async def totals(self, announcement_ids: Sequence[int]) -> dict[int, dict[str, int]]:
        """{announcement: {state: n}} for a list page."""
        query = (
            select(c.announcement_id, c.state, func.count().label("n"))
            .where(c.announcement_id.in_(list(announcement_ids)))
            .group_by(c.announcement_id, c.state)
        )
        out: dict[int, dict[str, int]] = defaultdict(dict)
        async with self.db.read() as conn:
            for r in await conn.execute(query):
                out[r.announcement_id][r.state] = r.n
        return dict(out)

    async def in_states(
        self, announcement_id: int, states: Iterable[str], limit: int = 1000
    ) -> list[Delivery]:
        query = (
            select(deliveries)
            .where(c.announcement_id == announcement_id, c.state.in_(list(states)))
            .order_by(c.agency_name, c.id)
            .limit(limit)
        )
        async with self.db.read() as conn:
            return [delivery_of(r) for r in await conn.execute(query)]

    async def find(self, announcement_id: int, ref: ChannelRef) -> Delivery | None:
        query = select(deliveries).where(
            c.announcement_id == announcement_id,
            c.platform == ref.platform,
            c.workspace == ref.workspace,
            c.channel_id == ref.channel_id,
        )
        async with self.db.read() as conn:
            row = (await conn.execute(query)).first()
        return delivery_of(row) if row else None

    async def of_agency(
        self, announcement_id: int, agency_id: int, platform: str, workspace: str
    ) -> Delivery | None:
        """A copy of the announcement that reached one of the agency's channels in this
        workspace (acknowledging from a member's home, where no channel is clicked in)."""
        query = (
            select(deliveries)
            .where(
                c.announcement_id == announcement_id,
                c.agency_id == agency_id,
                c.platform == platform,
                c.workspace == workspace,
                c.state.in_((SENT, KEPT)),
            )
            .order_by(c.id)
            .limit(1)
        )
        async with self.db.read() as conn:
            row = (await conn.execute(query)).first()
        return delivery_of(row) if row else None

    async def latest_for_agency(self, agency_id: int, limit: int) -> list[int]:
        """The announcements that reached the agency's channels, newest first."""
        query = (
            select(c.announcement_id)
            .where(c.agency_id == agency_id, c.state.in_((SENT, KEPT)))
            .group_by(c.announcement_id)
            .order_by(c.announcement_id.desc())
            .limit(limit)
        )
        async with self.db.read() as conn:
            return [r.announcement_id for r in await conn.execute(query)]

    async def agencies(self, announcement_id: int) -> list[tuple[int, str]]:
        """The agencies an announcement was addressed to, by name."""
        query = (
            select(c.agency_id, func.min(c.agency_name).label("name"))
            .where(c.announcement_id == announcement_id, c.agency_id.is_not(None))
            .group_by(c.agency_id)
            .order_by(func.min(c.agency_name))
        )
        async with self.db.read() as conn:
            return [(r.agency_id, r.name) for r in await conn.execute(query)]

    async def due_announcements(self, now: datetime, platforms: Iterable[str]) -> list[int]:
        """Announcements with a row to send now on one of `platforms`, or a row a dead
        process left (the periodic sweep)."""
        query = (
            select(c.announcement_id)
            .where(sql.WAITING, sql.LAPSED, c.platform.in_(sql.PLATFORMS))
            .group_by(c.announcement_id)
            .order_by(c.announcement_id)
        )
        params = {"b_now": now, "b_platforms": list(platforms)}
        async with self.db.read() as conn:
            return [r.announcement_id for r in await conn.execute(query, params)]

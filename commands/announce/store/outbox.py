"""The broadcast outbox: one row per destination of a confirmed announcement.

See commands/announce/store/announcements.py for the life of a row. Every transition is one small
transaction guarded by the state it leaves (`... WHERE id = ? AND state = ?`), so a row can
never be claimed twice, and a click on `announce delete` racing a send cannot lose the copy.
Hot statements are built once, at import: building a statement costs more than running it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    case,
    column,
    func,
    select,
    table,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.identity import ChannelRef
from bot.storage.database import Database
from bot.storage.schema import UTCDateTime, metadata

if TYPE_CHECKING:
    from commands.announce.store.announcements import Destination

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
TO_WITHDRAW, WITHDRAWING, WITHDRAWN, KEPT, CANCELLED = (
    "to_withdraw",
    "withdrawing",
    "withdrawn",
    "kept",
    "cancelled",
)
UNSETTLED = (PENDING, SENDING, TO_WITHDRAW, WITHDRAWING)
QUEUED = (PENDING, TO_WITHDRAW)  # waiting for the courier
IN_FLIGHT = {PENDING: SENDING, TO_WITHDRAW: WITHDRAWING}  # claimed state of a queued row
QUEUED_AGAIN = {SENDING: PENDING, WITHDRAWING: TO_WITHDRAW}
GIVEN_UP = {SENDING: FAILED, WITHDRAWING: KEPT}

deliveries = Table(
    "announcement_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "announcement_id",
        Integer,
        ForeignKey("announcements.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("agency_id", Integer, ForeignKey("agencies.id", ondelete="SET NULL"), nullable=True),
    Column("agency_name", String(120), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("last_error", String(300), nullable=True),
    Column("message_id", String(200), nullable=True),
    Column("sent_at", UTCDateTime(), nullable=True),
    UniqueConstraint(
        "announcement_id", "platform", "workspace", "channel_id", name="uq_deliveries_dest"
    ),
    Index("ix_deliveries_queue", "state", "next_attempt_at"),
)
c = deliveries.c


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    announcement_id: int
    agency_id: int | None
    agency_name: str
    ref: ChannelRef
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    message_id: str | None


def _delivery(r: object) -> Delivery:
    return Delivery(
        r.id,  # type: ignore[attr-defined]
        r.announcement_id,  # type: ignore[attr-defined]
        r.agency_id,  # type: ignore[attr-defined]
        r.agency_name,  # type: ignore[attr-defined]
        ChannelRef(r.platform, r.workspace, r.channel_id),  # type: ignore[attr-defined]
        r.state,  # type: ignore[attr-defined]
        r.attempts,  # type: ignore[attr-defined]
        r.next_attempt_at,  # type: ignore[attr-defined]
        r.last_error,  # type: ignore[attr-defined]
        r.message_id,  # type: ignore[attr-defined]
    )


_PLATFORMS = bindparam("b_platforms", expanding=True)
_DUE = (
    select(deliveries)
    .where(
        c.announcement_id == bindparam("b_ann"),
        c.state.in_(QUEUED),
        c.next_attempt_at <= bindparam("b_now", type_=UTCDateTime()),
        c.platform.in_(_PLATFORMS),
    )
    .order_by(c.next_attempt_at, c.id)
    .limit(bindparam("b_limit"))
)
_NEXT_DUE = select(func.min(c.next_attempt_at)).where(
    c.announcement_id == bindparam("b_ann"),
    c.state.in_(QUEUED),
    c.platform.in_(_PLATFORMS),
)
_CLAIM = (
    deliveries.update()
    .where(c.id == bindparam("b_id"), c.state == bindparam("b_from"))
    .values(state=bindparam("b_to"), attempts=c.attempts + 1)
)
# The announcement's state, read inside the UPDATE that marks a copy sent: a withdrawal that
# raced this send is seen atomically, and the copy is queued for deletion at once.
_announcements = table("announcements", column("id"), column("state"))
_announcement_state = (
    select(_announcements.c.state).where(_announcements.c.id == c.announcement_id).scalar_subquery()
)
_SENT = (
    deliveries.update()
    .where(c.id == bindparam("b_id"), c.state == SENDING)
    .values(
        state=case((_announcement_state == "withdrawn", TO_WITHDRAW), else_=SENT),
        attempts=case((_announcement_state == "withdrawn", 0), else_=c.attempts),
        message_id=bindparam("b_message"),
        sent_at=bindparam("b_now", type_=UTCDateTime()),
        next_attempt_at=bindparam("b_now", type_=UTCDateTime()),
        last_error=None,
    )
)
_SETTLE = (
    deliveries.update()
    .where(c.id == bindparam("b_id"), c.state == bindparam("b_from"))
    .values(
        state=bindparam("b_to"),
        last_error=bindparam("b_error"),
        next_attempt_at=bindparam("b_next", type_=UTCDateTime()),
    )
)
_COUNTS = (
    select(c.platform, c.state, func.count().label("n"))
    .where(c.announcement_id == bindparam("b_ann"))
    .group_by(c.platform, c.state)
)


class Outbox:
    table = deliveries

    def __init__(self, db: Database) -> None:
        self.db = db

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

    async def due(
        self, announcement_id: int, now: datetime, platforms: Iterable[str], limit: int = 500
    ) -> list[Delivery]:
        params = {"b_ann": announcement_id, "b_now": now, "b_platforms": list(platforms)}
        async with self.db.read() as conn:
            rows = (await conn.execute(_DUE, {**params, "b_limit": limit})).all()
        return [_delivery(r) for r in rows]

    async def next_due(self, announcement_id: int, platforms: Iterable[str]) -> datetime | None:
        params = {"b_ann": announcement_id, "b_platforms": list(platforms)}
        async with self.db.read() as conn:
            value = (await conn.execute(_NEXT_DUE, params)).scalar()
        return value

    async def claim(self, row: Delivery) -> bool:
        """Queued -> in flight; False if someone (a withdrawal) changed the row meanwhile."""
        params = {"b_id": row.id, "b_from": row.state, "b_to": IN_FLIGHT[row.state]}
        async with self.db.write() as conn:
            return (await conn.execute(_CLAIM, params)).rowcount == 1

    async def mark_sent(self, row: Delivery, message_id: str, now: datetime) -> None:
        params = {"b_id": row.id, "b_message": message_id[:200], "b_now": now}
        async with self.db.write() as conn:
            await conn.execute(_SENT, params)

    async def settle(self, row: Delivery, to: str, at: datetime, error: str | None = None) -> None:
        """Leave the in-flight state: withdrawn, failed/kept, or queued again for `at`."""
        params = {
            "b_id": row.id,
            "b_from": IN_FLIGHT[row.state],
            "b_to": to,
            "b_error": error[:300] if error else None,
            "b_next": at,
        }
        async with self.db.write() as conn:
            await conn.execute(_SETTLE, params)

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

    async def recover_in_flight(self) -> int:
        """At start: rows a crash left in flight are queued again (the duplicate window)."""
        async with self.db.write() as conn:
            total = 0
            for in_flight, queued in QUEUED_AGAIN.items():
                result = await conn.execute(
                    deliveries.update().where(c.state == in_flight).values(state=queued)
                )
                total += result.rowcount
        return total

    async def counts(self, announcement_id: int) -> dict[str, dict[str, int]]:
        """{platform: {state: n}}."""
        out: dict[str, dict[str, int]] = defaultdict(dict)
        async with self.db.read() as conn:
            for r in await conn.execute(_COUNTS, {"b_ann": announcement_id}):
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
            return [_delivery(r) for r in await conn.execute(query)]

    async def find(self, announcement_id: int, ref: ChannelRef) -> Delivery | None:
        query = select(deliveries).where(
            c.announcement_id == announcement_id,
            c.platform == ref.platform,
            c.workspace == ref.workspace,
            c.channel_id == ref.channel_id,
        )
        async with self.db.read() as conn:
            row = (await conn.execute(query)).first()
        return _delivery(row) if row else None

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
        return _delivery(row) if row else None

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
        """Announcements with a row to send now on one of `platforms` (the periodic sweep)."""
        query = (
            select(c.announcement_id)
            .where(c.state.in_(QUEUED), c.next_attempt_at <= now, c.platform.in_(list(platforms)))
            .group_by(c.announcement_id)
            .order_by(c.announcement_id)
        )
        async with self.db.read() as conn:
            return [r.announcement_id for r in await conn.execute(query)]

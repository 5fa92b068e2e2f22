"""RSVPs: going / maybe / not going, a capacity, and a waitlist promoted first come first in;
and the interest members show in a mirror of the event (Discord's "Interested"), which counts
as "maybe" unless the member answered otherwise.

The capacity check and the write happen in ONE `db.write()` transaction that first locks the
event row (SQLite: BEGIN IMMEDIATE serialises writers, even across processes; PostgreSQL:
SELECT … FOR UPDATE serialises the RSVPs of one event), so concurrent RSVPs never overbook.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.database import Database
from bot.storage.members import members
from commands.events.store import reminders
from commands.events.store.tables import (
    GOING,
    MAYBE,
    NOT_GOING,
    SCHEDULED,
    WAITLISTED,
    event_interest,
    event_rsvps,
    events,
)

V = event_rsvps.c
ANSWERS = (GOING, MAYBE, NOT_GOING)

_LOCK_EVENT = (
    select(events.c.capacity, events.c.starts_at, events.c.status)
    .where(events.c.id == bindparam("event_id"))
    .with_for_update()
)
_CURRENT = select(V.id, V.status).where(
    V.event_id == bindparam("event_id"), V.member_id == bindparam("member_id")
)


def _scalar(*columns: Any, where: Any) -> Any:
    return select(*columns).where(V.event_id == bindparam("event_id"), where).scalar_subquery()


_INTEREST = select(event_interest.c.answered).where(
    event_interest.c.event_id == bindparam("event_id"),
    event_interest.c.member_id == bindparam("member_id"),
)
_MINE = V.member_id == bindparam("member_id")
# Everything an answer needs, in one statement run after the event row is locked (on
# PostgreSQL a new statement sees every transaction committed before the lock was granted).
_STATE = select(
    _scalar(V.id, where=_MINE).label("rsvp_id"),
    _scalar(V.status, where=_MINE).label("status"),
    _scalar(func.count(), where=V.status == GOING).label("going"),
    _scalar(func.count(), where=V.status == WAITLISTED).label("waiting"),
    _scalar(func.coalesce(func.max(V.queue_no), 0), where=V.status == WAITLISTED).label("last_no"),
    # Whether the member's answer came from interest shown in a mirror (NULL: no interest).
    _INTEREST.scalar_subquery().label("interest"),
)
_COUNT = select(func.count()).where(
    V.event_id == bindparam("event_id"), V.status == bindparam("status")
)
_WAITLIST = (
    select(V.id, V.member_id)
    .where(V.event_id == bindparam("event_id"), V.status == WAITLISTED)
    .order_by(V.queue_no, V.id)
)
_UPDATE = (
    event_rsvps.update()
    .where(V.id == bindparam("rsvp_id"))
    .values(status=bindparam("new"), answered_at=bindparam("at"), queue_no=bindparam("queue_no"))
)
_THEIR_OWN = (
    event_interest.update()
    .where(
        event_interest.c.event_id == bindparam("b_event"),
        event_interest.c.member_id == bindparam("b_member"),
    )
    .values(answered=False)
)
_PROMOTE = event_rsvps.update().where(V.id == bindparam("rsvp_id")).values(status=GOING)
_SEATS = (
    select(V.event_id, V.status, func.count().label("n"))
    .where(V.event_id.in_(bindparam("ids", expanding=True)))
    .group_by(V.event_id, V.status)
)
_ROSTER = (
    select(V.status, members)
    .join(members, members.c.id == V.member_id)
    .where(V.event_id == bindparam("event_id"))
    .order_by(V.queue_no, V.id)
)


@dataclass(frozen=True, slots=True)
class Seats:
    going: int = 0
    maybe: int = 0
    waitlisted: int = 0
    not_going: int = 0


@dataclass(frozen=True, slots=True)
class RsvpResult:
    status: str  # what the member is now: going, maybe, not_going or waitlisted
    previous: str | None
    position: int | None  # on the waitlist, 1 = next in
    promoted: tuple[int, ...]  # members moved from the waitlist to "going"


@dataclass(frozen=True, slots=True)
class Attendee:
    member_id: int
    platform: str
    workspace: str
    user_id: str
    display_name: str
    locale: str
    status: str


class EventGone(LookupError):
    """The event does not exist (any more)."""


class RsvpRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def answer(
        self,
        event_id: int,
        member_id: int,
        answer: str,
        now: datetime,
        offsets: Sequence[timedelta],
    ) -> RsvpResult:
        if answer not in ANSWERS:
            raise ValueError(answer)
        async with self.db.write() as conn:
            event = (await conn.execute(_LOCK_EVENT, {"event_id": event_id})).first()
            if event is None:
                raise EventGone(event_id)
            ids = {"event_id": event_id, "member_id": member_id}
            state = (await conn.execute(_STATE, ids)).one()
            previous = state.status
            status = _new_status(event.capacity, state.going, previous, answer)
            rsvp_id = await _store(conn, ids, state, status, now)
            if state.interest:  # the member's own answer now, whatever interest said before
                await conn.execute(_THEIR_OWN, {"b_event": event_id, "b_member": member_id})
            promoted: list[int] = []
            if previous == GOING and status != GOING:
                await reminders.drop_pending(conn, event_id, [member_id])
                promoted = await promote(
                    conn, event_id, event.capacity, event.starts_at, now, offsets
                )
            if status == GOING and previous != GOING:
                await reminders.schedule(conn, event_id, [member_id], event.starts_at, offsets, now)
            position = None
            if status == WAITLISTED and previous == WAITLISTED:
                position = await _position(conn, event_id, rsvp_id)
            elif status == WAITLISTED:
                position = state.waiting + 1  # just joined: at the end of the queue
        return RsvpResult(status, previous, position, tuple(promoted))

    async def note_interest(self, event_id: int, member_id: int, now: datetime) -> bool:
        """The member is interested (in a mirror of the event): "maybe", unless they answered
        going, maybe or waitlisted themselves. Interest never takes a seat: capacity and the
        waitlist are only moved by answers. True when it gave the member their answer."""
        async with self.db.write() as conn:
            if (await conn.execute(_LOCK_EVENT, {"event_id": event_id})).first() is None:
                raise EventGone(event_id)
            ids = {"event_id": event_id, "member_id": member_id}
            current = (await conn.execute(_CURRENT, ids)).first()
            known = (await conn.execute(_INTEREST, ids)).first()
            gives = current is None or current.status == NOT_GOING
            if current is None:
                await conn.execute(
                    event_rsvps.insert().values(**ids, status=MAYBE, answered_at=now, queue_no=0)
                )
            elif gives:
                values = {"rsvp_id": current.id, "new": MAYBE, "at": now, "queue_no": 0}
                await conn.execute(_UPDATE, values)
            if known is None:
                await conn.execute(event_interest.insert().values(**ids, answered=gives, at=now))
            elif gives:
                await conn.execute(
                    event_interest.update()
                    .where(
                        event_interest.c.event_id == event_id,
                        event_interest.c.member_id == member_id,
                    )
                    .values(answered=True, at=now)
                )
        return gives

    async def drop_interest(self, event_id: int, member_id: int) -> bool:
        """The member is no longer interested: the "maybe" their interest gave goes with it
        (an answer of their own stays). True when their answer was withdrawn."""
        ids = {"event_id": event_id, "member_id": member_id}
        async with self.db.write() as conn:
            if (await conn.execute(_LOCK_EVENT, ids)).first() is None:
                raise EventGone(event_id)
            known = (await conn.execute(_INTEREST, ids)).first()
            if known is None:
                return False
            await conn.execute(
                event_interest.delete().where(
                    event_interest.c.event_id == event_id,
                    event_interest.c.member_id == member_id,
                )
            )
            if not known.answered:
                return False
            result = await conn.execute(
                event_rsvps.delete().where(
                    V.event_id == event_id, V.member_id == member_id, V.status == MAYBE
                )
            )
        return result.rowcount > 0

    async def interested(self, event_id: int) -> set[int]:
        """The members interested in a mirror of the event."""
        query = select(event_interest.c.member_id).where(event_interest.c.event_id == event_id)
        async with self.db.read() as conn:
            return {row.member_id for row in await conn.execute(query)}

    async def seats(self, event_ids: Sequence[int]) -> dict[int, Seats]:
        if not event_ids:
            return {}
        async with self.db.read() as conn:
            rows = (await conn.execute(_SEATS, {"ids": list(event_ids)})).all()
        counts: dict[int, dict[str, int]] = {}
        for row in rows:
            counts.setdefault(row.event_id, {})[row.status] = row.n
        return {i: Seats(**counts.get(i, {})) for i in event_ids}

    async def status_of(self, event_id: int, member_id: int) -> str | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(_CURRENT, {"event_id": event_id, "member_id": member_id})
            ).first()
        return row.status if row else None

    async def roster(self, event_id: int) -> list[Attendee]:
        """Everyone who answered, waitlist in queue order."""
        async with self.db.read() as conn:
            rows = (await conn.execute(_ROSTER, {"event_id": event_id})).all()
        return [
            Attendee(r.id, r.platform, r.workspace, r.user_id, r.display_name, r.locale, r.status)
            for r in rows
        ]

    async def of_member(self, member_id: int, since: datetime) -> list[tuple[int, str]]:
        """(event id, status) of a member's answers to events not finished at `since`."""
        stmt = (
            select(V.event_id, V.status)
            .join(events, events.c.id == V.event_id)
            .where(
                V.member_id == member_id,
                events.c.finishes_at >= since,
                events.c.status == SCHEDULED,
            )
            .order_by(events.c.starts_at, events.c.id)
            .limit(50)
        )
        async with self.db.read() as conn:
            return [(r.event_id, r.status) for r in await conn.execute(stmt)]


def _new_status(capacity: int | None, going: int, previous: str | None, answer: str) -> str:
    if answer != GOING:
        return answer
    if previous in (GOING, WAITLISTED):
        return previous  # answering "going" again keeps one's seat or place in the queue
    return GOING if capacity is None or going < capacity else WAITLISTED


async def _store(
    conn: AsyncConnection, ids: dict[str, int], state: Any, status: str, now: datetime
) -> int:
    # Joining the waitlist puts one at its end, whatever one answered before.
    queue_no = state.last_no + 1 if status == WAITLISTED else 0
    if state.rsvp_id is None:
        result = await conn.execute(
            event_rsvps.insert().values(**ids, status=status, answered_at=now, queue_no=queue_no)
        )
        return result.inserted_primary_key[0]
    rsvp_id: int = state.rsvp_id
    if state.status != status:
        values = {"rsvp_id": rsvp_id, "new": status, "at": now, "queue_no": queue_no}
        await conn.execute(_UPDATE, values)
    return rsvp_id


async def _position(conn: AsyncConnection, event_id: int, rsvp_id: int) -> int:
    queue = (await conn.execute(_WAITLIST, {"event_id": event_id})).all()
    return next(i for i, row in enumerate(queue, 1) if row.id == rsvp_id)


async def promote(
    conn: AsyncConnection,
    event_id: int,
    capacity: int | None,
    starts_at: datetime,
    now: datetime,
    offsets: Sequence[timedelta],
) -> list[int]:
    """Fill free seats from the waitlist, first come first in; returns the promoted members."""
    queue = (await conn.execute(_WAITLIST, {"event_id": event_id})).all()
    if not queue:
        return []
    if capacity is not None:
        going = (await conn.execute(_COUNT, {"event_id": event_id, "status": GOING})).scalar_one()
        queue = queue[: max(0, capacity - going)]
    if not queue:
        return []
    await conn.execute(_PROMOTE, [{"rsvp_id": row.id} for row in queue])
    member_ids = [row.member_id for row in queue]
    await reminders.schedule(conn, event_id, member_ids, starts_at, offsets, now)
    return member_ids

"""Reminder rows: one per (event, member, offset), written when someone becomes "going".

Why rows rather than reminders computed on the fly from the RSVPs: a row remembers that a
reminder was *due* (so one missed while the bot was down is sent late, if the event has not
started) as opposed to never applicable (someone answering two hours before the event gets no
"24 h before" reminder); finding what is due is one indexed range scan whatever the number of
RSVPs; and an edited start time re-targets the rows explicitly. Exactly-once across processes
and crashes is still the run ledger's job (commands/events/reminders.py claims each send).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Insert, and_, bindparam, exists, not_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.database import Database
from bot.storage.members import members
from commands.events.store.tables import GOING, SCHEDULED, event_reminders, event_rsvps, events

R = event_reminders.c

_DUE = (
    select(
        R.id,
        R.event_id,
        R.member_id,
        R.offset_minutes,
        R.due_at,
        members.c.platform,
        members.c.workspace,
        members.c.user_id,
        members.c.locale,
    )
    .join(events, events.c.id == R.event_id)
    .join(members, members.c.id == R.member_id)
    .where(
        R.done_at.is_(None),
        R.due_at <= bindparam("now"),
        events.c.status == SCHEDULED,
        events.c.starts_at > bindparam("now"),
    )
    .order_by(R.due_at, R.id)
    .limit(bindparam("limit"))
)
# Due, but the event started or was cancelled meanwhile (the bot was down): never sent.
_EXPIRE = (
    event_reminders.update()
    .where(
        R.done_at.is_(None),
        R.due_at <= bindparam("now"),
        exists()
        .where(events.c.id == R.event_id)
        .where(or_(events.c.status != SCHEDULED, events.c.starts_at <= bindparam("now"))),
    )
    .values(done_at=bindparam("now"), outcome="late")
)
_HAS_ROW = (
    exists()
    .where(R.event_id == event_rsvps.c.event_id, R.member_id == event_rsvps.c.member_id)
    .where(R.offset_minutes == bindparam("m"))
)
# Going members of upcoming events who have no row for one offset (the offsets changed).
_MISSING = (
    select(event_rsvps.c.event_id, event_rsvps.c.member_id, events.c.starts_at)
    .join(events, events.c.id == event_rsvps.c.event_id)
    .where(
        and_(
            event_rsvps.c.status == GOING,
            events.c.status == SCHEDULED,
            events.c.starts_at > bindparam("after"),
            not_(_HAS_ROW),
        )
    )
)
_DROP_ALL = event_reminders.delete().where(R.event_id == bindparam("event_id"), R.done_at.is_(None))
_DROP_SOME = _DROP_ALL.where(R.member_id.in_(bindparam("member_ids", expanding=True)))
_GOING_MEMBERS = select(event_rsvps.c.member_id).where(
    event_rsvps.c.event_id == bindparam("event_id"), event_rsvps.c.status == GOING
)
_MARK = (
    event_reminders.update()
    .where(R.id == bindparam("rid"), R.done_at.is_(None))
    .values(done_at=bindparam("at"), outcome=bindparam("result"))
)


@dataclass(frozen=True, slots=True)
class DueReminder:
    id: int
    event_id: int
    member_id: int
    offset: timedelta
    due_at: datetime
    platform: str
    workspace: str
    user_id: str
    locale: str

    @property
    def run_key(self) -> str:
        """The ledger key: the reminder row and its due time, so a reminder re-targeted by an
        edit of the start time is a new run, while a restart can never send the same one
        twice. No member id: the ledger outlives the person (the row goes with them)."""
        due = self.due_at.strftime("%Y%m%dT%H%MZ")
        return f"reminder:{self.id}:{due}"


def _minutes(offset: timedelta) -> int:
    return int(offset.total_seconds() // 60)


async def schedule(
    conn: AsyncConnection,
    event_id: int,
    member_ids: Iterable[int],
    starts_at: datetime,
    offsets: Sequence[timedelta],
    now: datetime,
) -> None:
    """Pending rows for every offset still ahead (an earlier row for the same offset is
    replaced: the member left and came back, or the event moved)."""
    rows = [
        {
            "event_id": event_id,
            "member_id": member_id,
            "offset_minutes": _minutes(offset),
            "due_at": starts_at - offset,
            "done_at": None,
            "outcome": None,
        }
        for member_id in member_ids
        for offset in offsets
        if starts_at - offset > now
    ]
    if rows:
        await conn.execute(_upsert(conn.dialect.name), rows)


@cache
def _upsert(dialect: str) -> Insert:
    """Built once per dialect (an upsert builds its `excluded` columns: costly per call)."""
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(event_reminders)
    return stmt.on_conflict_do_update(
        index_elements=["event_id", "member_id", "offset_minutes"],
        set_={"due_at": stmt.excluded.due_at, "done_at": None, "outcome": None},
    )


async def drop_pending(
    conn: AsyncConnection, event_id: int, member_ids: Sequence[int] | None = None
) -> None:
    """Forget reminders not yet sent (the member no longer comes, or the event is cancelled)."""
    if member_ids is None:
        await conn.execute(_DROP_ALL, {"event_id": event_id})
    else:
        await conn.execute(_DROP_SOME, {"event_id": event_id, "member_ids": list(member_ids)})


async def retarget(
    conn: AsyncConnection,
    event_id: int,
    starts_at: datetime,
    offsets: Sequence[timedelta],
    now: datetime,
) -> None:
    """The start moved: every going member gets the reminders still ahead of the new start,
    even one already sent for the old time. Those now in the past are dropped: the edit
    notification already told everyone."""
    await drop_pending(conn, event_id)
    going = await conn.execute(_GOING_MEMBERS, {"event_id": event_id})
    await schedule(conn, event_id, [r.member_id for r in going], starts_at, offsets, now)


class ReminderRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def expire_late(self, now: datetime) -> int:
        async with self.db.write() as conn:
            result = await conn.execute(_EXPIRE, {"now": now})
        return result.rowcount

    async def due(self, now: datetime, limit: int = 500) -> list[DueReminder]:
        async with self.db.read() as conn:
            rows = (await conn.execute(_DUE, {"now": now, "limit": limit})).all()
        return [_due(r) for r in rows]

    async def pending(self, reminder_id: int) -> DueReminder | None:
        """One reminder row not yet done (to resume a run interrupted by a crash)."""
        stmt = (
            select(
                R.id,
                R.event_id,
                R.member_id,
                R.offset_minutes,
                R.due_at,
                R.done_at,
                members.c.platform,
                members.c.workspace,
                members.c.user_id,
                members.c.locale,
            )
            .join(members, members.c.id == R.member_id)
            .where(R.id == reminder_id, R.done_at.is_(None))
        )
        async with self.db.read() as conn:
            row = (await conn.execute(stmt)).first()
        return _due(row) if row else None

    async def mark(self, ids: Sequence[int], now: datetime, outcome: str) -> None:
        if not ids:
            return
        async with self.db.write() as conn:
            await conn.execute(_MARK, [{"rid": i, "at": now, "result": outcome} for i in ids])

    async def reconcile(self, offsets: Sequence[timedelta], now: datetime) -> int:
        """After a change of the configured offsets: pending rows of removed offsets go, going
        members of upcoming events get the new ones. Returns the number of rows added."""
        wanted = [_minutes(o) for o in offsets]
        added = 0
        async with self.db.write() as conn:
            await conn.execute(
                event_reminders.delete().where(
                    R.done_at.is_(None), R.offset_minutes.not_in(wanted), R.due_at > now
                )
            )
            for offset in offsets:
                params = {"after": now + offset, "m": _minutes(offset)}
                missing = await conn.execute(_MISSING, params)
                by_event: dict[tuple[int, datetime], list[int]] = {}
                for row in missing:
                    by_event.setdefault((row.event_id, row.starts_at), []).append(row.member_id)
                for (event_id, starts_at), member_ids in by_event.items():
                    await schedule(conn, event_id, member_ids, starts_at, [offset], now)
                    added += len(member_ids)
        return added


def _due(row: object) -> DueReminder:
    return DueReminder(
        row.id,  # type: ignore[attr-defined]
        row.event_id,  # type: ignore[attr-defined]
        row.member_id,  # type: ignore[attr-defined]
        timedelta(minutes=row.offset_minutes),  # type: ignore[attr-defined]
        row.due_at,  # type: ignore[attr-defined]
        row.platform,  # type: ignore[attr-defined]
        row.workspace,  # type: ignore[attr-defined]
        row.user_id,  # type: ignore[attr-defined]
        row.locale,  # type: ignore[attr-defined]
    )

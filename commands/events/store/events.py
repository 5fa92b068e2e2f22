"""The events aggregate: events (one row per occurrence of a series), their tags, where their
announcements landed; RSVPs and reminders through `EventRepo.rsvps` and `.reminders`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Label, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.identity import ChannelRef
from bot.outbound import Posted
from bot.storage.agencies import agencies
from bot.storage.changes import bump
from bot.storage.database import Database
from commands.events.store import reminders
from commands.events.store.mirrors import MirrorRepo
from commands.events.store.reminders import ReminderRepo
from commands.events.store.reports import EventReports
from commands.events.store.rsvps import EventGone, RsvpRepo, Seats, promote
from commands.events.store.tables import (
    CANCELLED,
    GOING,
    MAYBE,
    SCHEDULED,
    WAITLISTED,
    event_posts,
    event_rsvps,
    event_tags,
    events,
)

# The change counter (`bot.storage.changes`) every write to events or their tags bumps, in its
# own transaction: the calendar feeds' caches, in every process, compare it.
CHANGES = "events"

# Longer than any real event; it bounds the index scan of "not finished yet" (see `_page`).
MAX_DURATION = timedelta(days=31)

E = events.c
_BASE = select(*events.c, agencies.c.name.label("agency_name")).select_from(
    events.outerjoin(agencies, agencies.c.id == E.agency_id)
)
_GET = _BASE.where(E.id == bindparam("id"))
_BY_IDS = _BASE.where(E.id.in_(bindparam("ids", expanding=True)))
_BY_SOURCE = _BASE.where(E.source_key == bindparam("key"))
_SERIES = _BASE.where(E.series_id == bindparam("series"), E.starts_at > bindparam("now"))
_POSTS = select(event_posts).where(event_posts.c.event_id == bindparam("id"))


def _count(status: str) -> Label[int]:
    rsvp = event_rsvps.c
    counted = select(func.count()).where(rsvp.event_id == E.id, rsvp.status == status)
    return counted.correlate(events).scalar_subquery().label(f"n_{status}")


# Lists show seats: counted in the same statement (one round trip, not two).
_WITH_SEATS = _BASE.add_columns(_count(GOING), _count(MAYBE), _count(WAITLISTED))


@dataclass(frozen=True, slots=True)
class EventFields:
    """What an organiser decides about an event."""

    title: str
    starts_at: datetime
    ends_at: datetime | None = None
    description: str = ""
    place: str = ""
    link: str = ""
    agency_id: int | None = None
    audience: str = "agency"  # or "all": announced in every agency's channels
    tags: tuple[str, ...] = ()
    capacity: int | None = None


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    uid: str
    series_id: int | None
    fields: EventFields
    agency_name: str | None
    status: str
    sequence: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime

    @property
    def cancelled(self) -> bool:
        return self.status == CANCELLED

    @property
    def title(self) -> str:
        return self.fields.title

    @property
    def starts_at(self) -> datetime:
        return self.fields.starts_at

    @property
    def ends_at(self) -> datetime | None:
        return self.fields.ends_at


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Filters of `event list` and of the calendar feeds."""

    since: datetime
    until: datetime | None = None
    agency_ids: tuple[int, ...] | None = None
    tag: str | None = None
    include_cancelled: bool = False


@dataclass(frozen=True, slots=True)
class Listed:
    event: Event
    seats: Seats = field(default_factory=Seats)


@dataclass(frozen=True, slots=True)
class Change:
    event: Event
    promoted: tuple[int, ...] = ()  # members moved from the waitlist (capacity raised)


class EventRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.rsvps = RsvpRepo(db)
        self.reminders = ReminderRepo(db)
        self.mirrors = MirrorRepo(db)
        self.reports = EventReports(db)  # read-only figures (the dashboard)

    async def create(
        self,
        occurrences: Sequence[EventFields],
        created_by: int | None,
        now: datetime,
        source_key: str | None = None,
    ) -> list[Event]:
        """One event, or the occurrences of a series (sharing the first one's id as series)."""
        ids: list[int] = []
        async with self.db.write() as conn:
            for index, item in enumerate(occurrences):
                values = _values(item) | {
                    "uid": f"{uuid.uuid4().hex}@fedbot",
                    "created_by": created_by,
                    "created_at": now,
                    "updated_at": now,
                    "source_key": source_key if index == 0 else None,
                }
                result = await conn.execute(events.insert().values(**values))
                ids.append(result.inserted_primary_key[0])
                await _write_tags(conn, ids[-1], item.tags)
            if len(ids) > 1:
                await conn.execute(events.update().where(E.id.in_(ids)).values(series_id=ids[0]))
            await bump(conn, CHANGES, now)
        return await self.many(ids)

    async def get(self, event_id: int) -> Event | None:
        async with self.db.read() as conn:
            row = (await conn.execute(_GET, {"id": event_id})).first()
        return _event(row) if row else None

    async def many(self, ids: Sequence[int]) -> list[Event]:
        if not ids:
            return []
        async with self.db.read() as conn:
            rows = (await conn.execute(_BY_IDS, {"ids": list(ids)})).all()
        found = {row.id: _event(row) for row in rows}
        return [found[i] for i in ids if i in found]

    async def by_source(self, key: str) -> Event | None:
        async with self.db.read() as conn:
            row = (await conn.execute(_BY_SOURCE, {"key": key})).first()
        return _event(row) if row else None

    async def series_after(self, series_id: int, now: datetime) -> list[Event]:
        async with self.db.read() as conn:
            rows = (await conn.execute(_SERIES, {"series": series_id, "now": now})).all()
        return sorted((_event(r) for r in rows), key=lambda e: e.starts_at)

    async def update(
        self, event_id: int, item: EventFields, now: datetime, offsets: Sequence[timedelta]
    ) -> Change:
        """Apply an edit; the start moving re-targets reminders, more seats fill the waitlist."""
        async with self.db.write() as conn:
            old = (await conn.execute(_GET.with_for_update(of=events), {"id": event_id})).first()
            if old is None:
                raise EventGone(event_id)
            await conn.execute(
                events.update()
                .where(E.id == event_id)
                .values(**_values(item), sequence=old.sequence + 1, updated_at=now)
            )
            await conn.execute(event_tags.delete().where(event_tags.c.event_id == event_id))
            await _write_tags(conn, event_id, item.tags)
            if item.starts_at != old.starts_at:
                await reminders.retarget(conn, event_id, item.starts_at, offsets, now)
            promoted: list[int] = []
            if item.capacity is None or (old.capacity and item.capacity > old.capacity):
                promoted = await promote(
                    conn, event_id, item.capacity, item.starts_at, now, offsets
                )
            await bump(conn, CHANGES, now)
        updated = await self.get(event_id)
        assert updated is not None
        return Change(updated, tuple(promoted))

    async def cancel(self, event_id: int, now: datetime) -> Event:
        async with self.db.write() as conn:
            await conn.execute(
                events.update()
                .where(E.id == event_id)
                .values(status=CANCELLED, sequence=E.sequence + 1, updated_at=now)
            )
            await reminders.drop_pending(conn, event_id)
            await bump(conn, CHANGES, now)
        cancelled = await self.get(event_id)
        if cancelled is None:
            raise EventGone(event_id)
        return cancelled

    async def page(self, query: EventQuery, limit: int, offset: int = 0) -> list[Listed]:
        """Events not finished at `query.since`, soonest first, with their seat counts."""
        stmt = _page(query.agency_ids is not None, query.tag is not None, query.until is not None)
        params = {
            "floor": query.since - MAX_DURATION,
            "since": query.since,
            "until": query.until,
            "agency_ids": list(query.agency_ids or ()),
            "tag": query.tag,
            "statuses": [SCHEDULED, CANCELLED] if query.include_cancelled else [SCHEDULED],
            "limit": limit,
            "offset": offset,
        }
        async with self.db.read() as conn:
            rows = (await conn.execute(stmt, params)).all()
        return [
            Listed(_event(r), Seats(going=r.n_going, maybe=r.n_maybe, waitlisted=r.n_waitlisted))
            for r in rows
        ]

    async def add_posts(
        self, event_ids: Sequence[int], posted: Sequence[Posted], now: datetime
    ) -> None:
        rows = [
            {
                "event_id": event_id,
                "platform": p.channel.platform,
                "workspace": p.channel.workspace,
                "channel_id": p.channel.channel_id,
                "message_id": p.message_id,
                "posted_at": now,
            }
            for event_id in event_ids
            for p in posted
        ]
        if rows:
            async with self.db.write() as conn:
                await conn.execute(event_posts.insert(), rows)

    async def posts(self, event_id: int) -> list[Posted]:
        async with self.db.read() as conn:
            rows = (await conn.execute(_POSTS, {"id": event_id})).all()
        return [
            Posted(ChannelRef(r.platform, r.workspace, r.channel_id), r.message_id) for r in rows
        ]


@cache
def _page(by_agency: bool, by_tag: bool, bounded: bool) -> Select:
    """One prebuilt statement per combination of filters (building costs more than running).

    `starts_at >= floor` (since - MAX_DURATION) lets the (status, starts_at) index skip past
    events however many accumulate; `finishes_at >= since` then keeps ongoing ones."""
    stmt = _WITH_SEATS.where(
        E.status.in_(bindparam("statuses", expanding=True)),
        E.starts_at >= bindparam("floor"),
        E.finishes_at >= bindparam("since"),
    )
    if by_agency:
        stmt = stmt.where(E.agency_id.in_(bindparam("agency_ids", expanding=True)))
    if by_tag:
        tagged = select(event_tags.c.event_id).where(event_tags.c.tag == bindparam("tag"))
        stmt = stmt.where(E.id.in_(tagged))
    if bounded:
        stmt = stmt.where(E.starts_at < bindparam("until"))
    return stmt.order_by(E.starts_at, E.id).limit(bindparam("limit")).offset(bindparam("offset"))


def _values(item: EventFields) -> dict[str, object]:
    return {
        "title": item.title,
        "description": item.description,
        "place": item.place,
        "link": item.link,
        "agency_id": item.agency_id,
        "audience": item.audience,
        "tags": ",".join(item.tags),
        "capacity": item.capacity,
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
        "finishes_at": item.ends_at or item.starts_at,
    }


async def _write_tags(conn: AsyncConnection, event_id: int, tags: Sequence[str]) -> None:
    if tags:
        await conn.execute(event_tags.insert(), [{"event_id": event_id, "tag": t} for t in tags])


def _event(row: object) -> Event:
    r = row  # a Row of _BASE
    item = EventFields(
        title=r.title,  # type: ignore[attr-defined]
        starts_at=r.starts_at,  # type: ignore[attr-defined]
        ends_at=r.ends_at,  # type: ignore[attr-defined]
        description=r.description,  # type: ignore[attr-defined]
        place=r.place,  # type: ignore[attr-defined]
        link=r.link,  # type: ignore[attr-defined]
        agency_id=r.agency_id,  # type: ignore[attr-defined]
        audience=r.audience,  # type: ignore[attr-defined]
        tags=tuple(t for t in r.tags.split(",") if t),  # type: ignore[attr-defined]
        capacity=r.capacity,  # type: ignore[attr-defined]
    )
    return Event(
        r.id,  # type: ignore[attr-defined]
        r.uid,  # type: ignore[attr-defined]
        r.series_id,  # type: ignore[attr-defined]
        item,
        r.agency_name,  # type: ignore[attr-defined]
        r.status,  # type: ignore[attr-defined]
        r.sequence,  # type: ignore[attr-defined]
        r.created_by,  # type: ignore[attr-defined]
        r.created_at,  # type: ignore[attr-defined]
        r.updated_at,  # type: ignore[attr-defined]
    )

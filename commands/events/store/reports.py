"""Read-only figures on events over a period, for the dashboard's impact report.

Events count where they start: an event is in the period when it starts in [since, until).
"Registrations" are the answers "going" (and the waitlist) as they stand now; nobody checks
people in, so attendance means "said they come", against the event's capacity. Once retention
has anonymised an old event's answers (`privacy.rsvp_months`), its counts come from what it
kept (`event_attendance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, distinct, func, select

from bot.storage.database import Database, id_set
from commands.events.store.tables import (
    CANCELLED,
    GOING,
    SCHEDULED,
    WAITLISTED,
    event_attendance,
    event_rsvps,
    events,
)

E, V = events.c, event_rsvps.c


@dataclass(frozen=True, slots=True)
class AgencyEvents:
    """One organising agency's events in a period (`agency_id` None: federation-wide)."""

    agency_id: int | None
    events: int = 0
    cancelled: int = 0
    going: int = 0
    waitlisted: int = 0
    seats: int = 0  # capacity summed over the events that have one
    going_on_capped: int = 0  # "going" answers to those same events


def _in_period(since: datetime, until: datetime) -> tuple[object, ...]:
    return (E.starts_at >= since, E.starts_at < until)


class EventReports:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def by_agency(self, since: datetime, until: datetime) -> list[AgencyEvents]:
        """Events, cancellations, registrations and seats per organising agency: the period's
        events joined to their answers (the answers of other events are not read)."""
        live, capped = E.status == SCHEDULED, E.capacity.is_not(None)
        answers = (
            select(
                E.agency_id,
                func.count(distinct(E.id)).filter(live).label("events"),
                func.count(distinct(E.id)).filter(E.status == CANCELLED).label("cancelled"),
                func.count(V.id).filter(live, V.status == GOING).label("going"),
                func.count(V.id).filter(live, V.status == WAITLISTED).label("waitlisted"),
                func.count(V.id).filter(live, capped, V.status == GOING).label("capped"),
            )
            .select_from(events.outerjoin(event_rsvps, V.event_id == E.id))
            .where(*_in_period(since, until))
            .group_by(E.agency_id)
        )
        seats = (
            select(E.agency_id, func.coalesce(func.sum(E.capacity), 0).label("seats"))
            .where(*_in_period(since, until), live, capped)
            .group_by(E.agency_id)
        )
        a = event_attendance.c
        kept = (
            select(
                E.agency_id,
                func.coalesce(func.sum(a.going), 0).label("going"),
                func.coalesce(func.sum(a.waitlisted), 0).label("waitlisted"),
                func.coalesce(func.sum(case((capped, a.going), else_=0)), 0).label("capped"),
            )
            .select_from(events.join(event_attendance, a.event_id == E.id))
            .where(*_in_period(since, until), live)
            .group_by(E.agency_id)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(answers)).all()
            capacity = {r.agency_id: int(r.seats) for r in await conn.execute(seats)}
            counted = {r.agency_id: r for r in await conn.execute(kept)}
        found = []
        for r in rows:
            old = counted.get(r.agency_id)
            found.append(
                AgencyEvents(
                    r.agency_id,
                    r.events,
                    r.cancelled,
                    r.going + (int(old.going) if old else 0),
                    r.waitlisted + (int(old.waitlisted) if old else 0),
                    capacity.get(r.agency_id, 0),
                    r.capped + (int(old.capped) if old else 0),
                )
            )
        return found

    async def answering_members(self, since: datetime, until: datetime) -> set[int]:
        """Members who answered an invitation in the period (one sign of an active member)."""
        query = select(V.member_id).where(V.answered_at >= since, V.answered_at < until)
        async with self.db.read() as conn:
            return await id_set(conn, query)

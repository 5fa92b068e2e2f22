"""Read-only figures a digest shows about the federation: newcomers and activity counts.

They read other aggregates' tables (members, profiles, events, announcements) without writing
them, in one statement each: a digest is built for every channel at the same minute, so a round
trip saved per digest is worth more than a repository method per figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, Table, bindparam, func, select

from bot.storage.database import Database
from bot.storage.members import members
from bot.storage.schema import UTCDateTime
from commands.announce.store.announcements import State, announcements
from commands.events.store.tables import GOING, event_rsvps, events
from commands.profile.store.profiles import profiles

_SINCE = bindparam("b_since", type_=UTCDateTime())
_UNTIL = bindparam("b_until", type_=UTCDateTime())


def _between(column: ColumnElement[datetime]) -> tuple[ColumnElement[bool], ...]:
    return column > _SINCE, column <= _UNTIL


def _count(table: Table, *where: ColumnElement[bool]) -> ScalarSelect[int]:
    return select(func.count()).select_from(table).where(*where).scalar_subquery()


_NEWCOMERS_ALL = (
    # The window count is taken before LIMIT: the total comes with the page, one round trip.
    select(
        members.c.id,
        members.c.display_name,
        members.c.user_id,
        profiles.c.visible,
        func.count().over().label("total"),
    )
    .select_from(members.outerjoin(profiles, profiles.c.member_id == members.c.id))
    .where(*_between(members.c.created_at))
    .order_by(members.c.created_at.desc(), members.c.id.desc())
    .limit(bindparam("b_limit"))
)
# Scoped to agencies: members whose profile names one of them.
_NEWCOMERS_IN = _NEWCOMERS_ALL.where(
    profiles.c.agency_id.in_(bindparam("b_agencies", expanding=True))
)
# Names of the members among some ids whose profile others may see.
_VISIBLE = (
    select(members.c.id, members.c.display_name, members.c.user_id)
    .select_from(members.join(profiles, profiles.c.member_id == members.c.id))
    .where(
        members.c.id.in_(bindparam("b_ids", expanding=True)),
        profiles.c.visible.is_(True),
    )
)
_ACTIVITY = select(
    _count(members, *_between(members.c.created_at)).label("members"),
    _count(events, *_between(events.c.created_at)).label("events"),
    _count(event_rsvps, event_rsvps.c.status == GOING, *_between(event_rsvps.c.answered_at)).label(
        "rsvps"
    ),
    _count(
        announcements,
        announcements.c.state.in_([State.ACTIVE, State.DONE]),
        *_between(announcements.c.confirmed_at),
    ).label("announcements"),
)


@dataclass(frozen=True, slots=True)
class Newcomer:
    member_id: int
    name: str
    visible: bool  # their profile may be shown to others (False without a profile)


@dataclass(frozen=True, slots=True)
class Activity:
    """What happened in the federation between two moments."""

    new_members: int = 0
    events_created: int = 0
    rsvps: int = 0
    announcements: int = 0

    @property
    def empty(self) -> bool:
        return not (self.new_members or self.events_created or self.rsvps or self.announcements)


class DigestSources:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def activity(self, since: datetime, until: datetime) -> Activity:
        async with self.db.read() as conn:
            row = (await conn.execute(_ACTIVITY, {"b_since": since, "b_until": until})).one()
        return Activity(row.members, row.events, row.rsvps, row.announcements)

    async def newcomers(
        self,
        since: datetime,
        until: datetime,
        limit: int,
        agency_ids: Sequence[int] | None = None,
    ) -> tuple[int, list[Newcomer]]:
        """How many members joined in the window (of these agencies, if given), and the
        `limit` latest of them."""
        params = {"b_since": since, "b_until": until, "b_limit": limit}
        stmt = _NEWCOMERS_ALL
        if agency_ids is not None:
            stmt, params["b_agencies"] = _NEWCOMERS_IN, list(agency_ids)
        async with self.db.read() as conn:
            rows = (await conn.execute(stmt, params)).all()
        total = rows[0].total if rows else 0
        return total, [Newcomer(r.id, r.display_name or r.user_id, bool(r.visible)) for r in rows]

    async def visible_people(self, member_ids: Iterable[int]) -> dict[int, str]:
        """The names of those members whose profile is visible to others."""
        ids = sorted(set(member_ids))
        if not ids:
            return {}
        async with self.db.read() as conn:
            rows = (await conn.execute(_VISIBLE, {"b_ids": ids})).all()
        return {r.id: r.display_name or r.user_id for r in rows}

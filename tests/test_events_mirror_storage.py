"""The store behind mirrors and interest, on SQLite and (FEDBOT_TEST_POSTGRES_URL) PostgreSQL:
interest gives "maybe" only where the member has no answer of their own, withdrawing it takes
back only that "maybe", seats are never touched, and an event has one mirror per workspace
even when two claims race."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.identity import Caller
from bot.storage.database import Database
from bot.storage.members import MemberRepo
from commands.events.store.events import EventFields, EventRepo
from commands.events.store.tables import GOING, LINKED, MAYBE, NOT_GOING, WAITLISTED
from tests.conftest import T0

OFFSETS = (timedelta(hours=24),)


async def _setup(db: Database, people: int = 3) -> tuple[EventRepo, int, list[int]]:
    repo = EventRepo(db)
    (event,) = await repo.create(
        [EventFields("Forum", T0 + timedelta(days=7), capacity=1)], None, T0
    )
    members = MemberRepo(db)
    ids = [
        (await members.ensure(Caller("discord", "1", str(i), f"m{i}"), T0)).id
        for i in range(people)
    ]
    return repo, event.id, ids


async def _status(repo: EventRepo, event_id: int, member_id: int) -> str | None:
    return await repo.rsvps.status_of(event_id, member_id)


async def test_interest_is_maybe_unless_the_member_answered(db: Database) -> None:
    repo, event, (ann, ben, cat) = await _setup(db)
    rsvps = repo.rsvps
    assert await rsvps.note_interest(event, ann, T0)  # no answer yet: maybe
    assert await _status(repo, event, ann) == MAYBE
    await rsvps.answer(event, ben, GOING, T0, OFFSETS)  # the only seat
    assert not await rsvps.note_interest(event, ben, T0)  # keeps going
    await rsvps.answer(event, cat, GOING, T0, OFFSETS)  # waits
    assert not await rsvps.note_interest(event, cat, T0)
    assert await _status(repo, event, cat) == WAITLISTED
    seats = (await rsvps.seats([event]))[event]
    assert (seats.going, seats.maybe, seats.waitlisted) == (1, 1, 1)  # interest took no seat

    assert await rsvps.drop_interest(event, ann)  # her maybe goes with it
    assert await _status(repo, event, ann) is None
    assert not await rsvps.drop_interest(event, ben)  # his own answer stays
    assert await _status(repo, event, ben) == GOING
    assert await rsvps.interested(event) == {cat}


async def test_answering_after_showing_interest_makes_the_answer_ones_own(db: Database) -> None:
    repo, event, (ann, ben, _) = await _setup(db)
    rsvps = repo.rsvps
    await rsvps.note_interest(event, ann, T0)
    await rsvps.answer(event, ann, MAYBE, T0, OFFSETS)  # "maybe" again, but chosen
    assert not await rsvps.drop_interest(event, ann)
    assert await _status(repo, event, ann) == MAYBE
    await rsvps.answer(event, ben, NOT_GOING, T0, OFFSETS)
    assert await rsvps.note_interest(event, ben, T0)  # a newer choice than "no"
    assert await _status(repo, event, ben) == MAYBE


async def test_one_mirror_per_event_and_workspace_even_when_claims_race(db: Database) -> None:
    repo, event, _ = await _setup(db)
    mirrors = repo.mirrors
    claims = await asyncio.gather(*(mirrors.claim(event, "discord", "1", T0) for _ in range(5)))
    (row,) = [c for c in claims if c is not None]
    assert await mirrors.claim(event, "discord", "2", T0) is not None  # another server
    await mirrors.set(row, LINKED, T0, mirror_id="99")
    found = await mirrors.by_mirror("discord", "1", "99")
    assert found is not None and found.event_id == event and found.state == LINKED
    assert [m.workspace for m in await mirrors.of_event(event)] == ["1", "2"]

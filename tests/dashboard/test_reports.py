"""The read-only queries the dashboard asks of the features' stores, on small known data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import BotApp
from bot.clock import FixedClock
from bot.identity import Caller
from commands.events.store.events import EventFields, EventRepo
from commands.faq.store.activity import NewQuestion
from commands.faq.store.entries import EntryDraft, FaqRepo
from commands.faq.store.reports import FaqReports
from commands.match.store.reports import MatchReports
from commands.profile.store.profiles import ProfileChanges, ProfileRepo
from commands.profile.store.reports import ProfileReports
from tests.conftest import T0
from tests.dashboard.dataset import Sizes, populate
from tests.dashboard.support import engine_app

DAY = timedelta(days=1)


@pytest.fixture(params=["sqlite", "postgresql"])
async def app(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BotApp]:
    """The queries on both engines the bot runs on."""
    async with engine_app(request.param, tmp_path, FixedClock(T0)) as bot:
        yield bot


async def member(app: BotApp, user: str) -> int:
    found = await app.services.members.ensure(Caller("slack", "T1", user, user), T0)
    return found.id


async def test_events_per_agency_count_where_they_start(app: BotApp) -> None:
    agency, _ = await app.services.agencies.add("Agence A", "Bretagne", T0)
    repo = app.services.get(EventRepo)
    capped, open_, cancelled, later = (
        EventFields("Capped", T0 + DAY, agency_id=agency.id, capacity=2),
        EventFields("Open", T0 + 2 * DAY, agency_id=agency.id),
        EventFields("Cancelled", T0 + 3 * DAY, agency_id=agency.id, capacity=10),
        EventFields("Later", T0 + 40 * DAY, agency_id=agency.id),
    )
    ids = [(await repo.create([f], None, T0))[0].id for f in (capped, open_, cancelled, later)]
    await repo.cancel(ids[2], T0)
    people = [await member(app, f"U{i}") for i in range(4)]
    for i, m in enumerate(people):
        await repo.rsvps.answer(
            ids[0], m, "going", T0 + timedelta(minutes=i), ()
        )  # 2 in, 2 waiting
        await repo.rsvps.answer(ids[1], m, "going", T0, ())
    (row,) = await repo.reports.by_agency(T0, T0 + 30 * DAY)
    assert (row.agency_id, row.events, row.cancelled) == (agency.id, 2, 1)
    assert (row.going, row.waitlisted) == (6, 2)
    assert (row.seats, row.going_on_capped) == (2, 2)  # only the event with a limit
    assert await repo.reports.answering_members(T0, T0 + DAY) == set(people)
    assert await repo.reports.answering_members(T0 + DAY, T0 + 2 * DAY) == set()


async def test_the_faq_queue_puts_distinct_askers_first(app: BotApp) -> None:
    activity = app.services.get(FaqRepo).activity
    alice, bob = await member(app, "UALICE"), await member(app, "UBOB")

    async def asked(text: str, who: int, at: timedelta) -> None:
        question = NewQuestion(text, text, "fr", who, "slack:T1:C1")
        await activity.record_ask("unknown", None, T0 + at, unanswered=question)

    for _ in range(5):
        await asked("repeated by one", alice, timedelta(0))
    await asked("asked by two", alice, timedelta(hours=1))
    await asked("asked by two", bob, timedelta(hours=2))
    reports = app.services.get(FaqReports)
    found, total = await reports.queue(0, 10)
    assert total == 2
    assert [(q.text, q.askers, q.count) for q in found] == [
        ("asked by two", 2, 2),
        ("repeated by one", 1, 5),
    ]
    (row,) = await reports.unanswered_by_channel(T0, T0 + DAY)
    assert (row.channel, row.questions, row.asks) == ("slack:T1:C1", 2, 7)
    edges = [T0 - DAY, T0 + timedelta(hours=1), T0 + DAY]  # asks at T0 + 1 h and 2 h: the 2nd
    assert await reports.verdicts(edges) == [{"unknown": 5}, {"unknown": 2}]


async def test_helpful_rates_and_who_rated(app: BotApp) -> None:
    faq = app.services.get(FaqRepo)
    entry = await faq.add(EntryDraft("fr", "Combien coûte l'adhésion ?", "100 €"), None, T0)
    voters = [await member(app, f"V{i}") for i in range(4)]
    for i, m in enumerate(voters):
        await faq.activity.give_feedback(entry.id, m, i != 0, T0 + timedelta(hours=i))
    reports = app.services.get(FaqReports)
    rated = (await reports.helpfulness())[entry.id]
    assert (rated.helpful, rated.unhelpful, rated.rate) == (3, 1, 0.75)
    assert await reports.voting_members(T0, T0 + timedelta(hours=2)) == set(voters[:2])


async def test_rounds_and_their_outcomes(app: BotApp) -> None:
    await populate(app, T0, Sizes(agencies=2, members=40, events=0, announcements=0, entries=2,
                                  asks=0, unanswered=0, introductions=10, rounds=3))  # fmt: skip
    reports = app.services.get(MatchReports)
    (config,) = await reports.configs()
    assert config.active and config.schedule == "every 2 weeks monday 09:00"
    rounds = await reports.rounds(10)
    assert [r.scheduled_for for r in rounds] == [T0 - timedelta(days=14 * n) for n in (1, 2, 3)]
    for r in rounds:
        assert (r.members, r.groups, r.introduced, r.asked) == (20, 10, 20, 20)
        assert r.met + r.not_met <= r.groups
    meetings = await reports.meetings(T0 - 60 * DAY, T0)
    assert sum(r.met for r in rounds) == len({group for group, _ in meetings})
    intros = await reports.introductions(T0 - 365 * DAY, T0 + DAY)
    assert len(intros) == 10 and {i.source for i in intros} <= {"match", "round"}


async def test_who_works_where_is_reread_when_a_profile_changes(app: BotApp) -> None:
    a, _ = await app.services.agencies.add("Agence A", "Bretagne", T0)
    b, _ = await app.services.agencies.add("Agence B", "Bretagne", T0)
    una = await member(app, "UUNA")
    reports, profiles = app.services.get(ProfileReports), app.services.get(ProfileRepo)
    assert await reports.member_agencies() == {}
    await profiles.save(una, ProfileChanges(agency_id=a.id), T0)
    assert await reports.member_agencies() == {una: a.id}
    await profiles.save(una, ProfileChanges(agency_id=b.id), T0)
    assert await reports.member_agencies() == {una: b.id}
    assert await reports.members_per_agency() == {b.id: 1}
    await app.services.members.erase(una)
    assert await reports.member_agencies() == {}


async def test_an_anonymised_event_still_counts_its_registrations(app: BotApp) -> None:
    """Retention replaces an old event's answers by their counts: the figures stay."""
    from commands.events.retention import _anonymise

    agency, _ = await app.services.agencies.add("Agence A", "Bretagne", T0)
    repo = app.services.get(EventRepo)
    (old,) = await repo.create(
        [EventFields("Old", T0 + DAY, agency_id=agency.id, capacity=3)], None, T0
    )
    for i in range(2):
        await repo.rsvps.answer(old.id, await member(app, f"U{i}"), "going", T0, ())
    before = await repo.reports.by_agency(T0, T0 + 2 * DAY)
    await _anonymise(app.services, T0 + 3 * DAY, dry_run=False)
    assert await repo.rsvps.roster(old.id) == []  # who answered is gone
    assert await repo.reports.by_agency(T0, T0 + 2 * DAY) == before
    assert (before[0].going, before[0].seats, before[0].going_on_capped) == (2, 3, 2)

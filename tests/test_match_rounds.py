"""Matching rounds on a simulated clock: enabled by moderators, paired (a trio when odd),
introduced by DM (the channel when a DM fails), asked "did you meet?" once, exactly once
across restarts, statistics for moderators."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

from bot.app import BotApp
from bot.clock import FixedClock
from bot.settings import ClusterSettings
from bot.spec import Role
from commands.match.round_runner import (
    DELIVER_JOB,
    KIND,
    SWEEP_JOB,
    round_job,
    run_due,
    run_key,
)
from commands.match.store.matching import MatchingRepo
from fedbot.assembly import make_app
from tests.conftest import T0, make_config
from tests.match_support import Recorder, click, plain, profile, setup_agencies, type_in

LEASE = timedelta(seconds=ClusterSettings().lease_seconds)  # a dead owner's claim lapses

# T0 is Thursday 26 November 2026, 10:00 in Paris; rounds every other Monday at 09:00.
FIRST = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 30 November, 09:00 in Paris
SECOND = FIRST + timedelta(weeks=2)
ENABLE = '/match rounds enable schedule:"un lundi sur deux à 9h"'


@asynccontextmanager
async def lifetime(
    tmp_path: Path, clock: FixedClock, raw: dict[str, Any] | None = None, **kw: Any
) -> AsyncIterator[tuple[BotApp, Recorder]]:
    """One run of the bot on the test's database file, with a recording console Sender."""
    async with make_app(make_config(tmp_path, raw), clock=clock, start_scheduler=False) as app:
        sender = Recorder(**kw)
        app.outbound.register(sender)
        yield app, sender


async def _members(app: BotApp, count: int) -> list[str]:
    await setup_agencies(app)
    agencies = ["nantes", "lyon", "rennes"]
    users = [f"m{i}" for i in range(count)]
    for i, user in enumerate(users):
        await profile(app, user, "tiers-lieux, hackathon", agency=agencies[i % 3])
    return users


async def _tick(app: BotApp, clock: FixedClock, moment: datetime):
    clock.set(moment)
    return await run_due(app.services, moment)


def _groups(sender: Recorder, users: list[str]) -> set[frozenset[str]]:
    """Who was introduced to whom, read from each member's DM."""
    found = set()
    for user in users:
        for message in sender.to(f"@{user}"):
            if not (message.title or "").startswith("Votre rencontre"):
                continue  # a "did you meet?" question
            others = {f.name.lower() for f in message.fields}
            found.add(frozenset({user, *others}))
    return found


async def test_a_moderator_enables_rounds_here_and_they_are_scheduled(app: BotApp) -> None:
    refused = await type_in(app, ENABLE, role=Role.MEMBER)
    assert refused.is_error and "réservée aux modérateurs" in refused.message.text
    # "general" belongs to no agency: only staff organise rounds there.
    no_agency = await type_in(app, ENABLE, role=Role.MODERATOR)
    assert no_agency.is_error and "aucune agence" in no_agency.message.text
    reply = await type_in(app, ENABLE, role=Role.STAFF)
    assert not reply.ephemeral
    assert plain(reply.message.text).startswith(
        "Rencontres activées dans ce salon : un lundi sur deux à 09:00. "
        "Premier tour : lundi 30 novembre 2026 à 09:00."
    )
    jobs = app.services.scheduler.job_ids()
    assert SWEEP_JOB in jobs and round_job(1) in jobs
    status = await type_in(app, "/match rounds status", role=Role.MODERATOR, lang="en")
    assert "Next round: Monday, November 30, 2026 at 9:00 AM." in plain(status.message.text)
    daily = await type_in(
        app, "/match rounds enable schedule:quotidien", role=Role.STAFF, channel="x"
    )
    assert daily.is_error and "toutes les 4 semaines" in daily.message.text
    elsewhere = await type_in(app, ENABLE, role=Role.STAFF, channel="other")
    assert elsewhere.is_error and "déjà organisées dans le salon general" in elsewhere.message.text
    off = await type_in(app, "/match rounds disable", role=Role.STAFF)
    assert "historique et leurs statistiques sont conservés" in off.message.text
    assert round_job(1) not in app.services.scheduler.job_ids()
    # In an agency's channel, its moderators organise them.
    ids = await setup_agencies(app)
    other = await type_in(
        app, ENABLE, role=Role.MODERATOR, channel="nantes", moderates=frozenset({ids["rennes"]})
    )
    assert other.is_error and "que vous ne modérez pas" in other.message.text
    mine = await type_in(
        app, ENABLE, role=Role.MODERATOR, channel="nantes", moderates=frozenset({ids["nantes"]})
    )
    assert not mine.is_error, mine.message.text


async def test_a_round_pairs_everyone_with_a_trio_when_odd(
    tmp_path: Path, clock: FixedClock
) -> None:
    async with lifetime(tmp_path, clock) as (app, sent):
        users = await _members(app, 7)
        await profile(app, "shy", "tiers-lieux, hackathon", match=False)
        await profile(app, "away", "tiers-lieux, hackathon")
        await type_in(app, "/match snooze weeks:2", user="away")
        await type_in(app, ENABLE, role=Role.STAFF)
        assert (await _tick(app, clock, FIRST - timedelta(minutes=1))).rounds == 0
        progress = await _tick(app, clock, FIRST + timedelta(seconds=20))
        assert (progress.rounds, progress.introduced) == (1, 7)
        assert sorted(sent.targets()) == sorted(f"@{u}" for u in users)  # not shy, not away
        groups = _groups(sent, users)
        assert sorted(len(g) for g in groups) == [2, 2, 3]
        assert set().union(*groups) == set(users)
        message = sent.to("@m0")[0]
        assert message.title == "Votre rencontre du 30 novembre 2026"
        assert "Vos thèmes communs : hackathon et tiers-lieux." in message.text


async def test_a_round_happens_once_across_restarts_and_processes(
    tmp_path: Path, clock: FixedClock
) -> None:
    async with lifetime(tmp_path, clock) as (app, sent):
        await _members(app, 4)
        await type_in(app, ENABLE, role=Role.STAFF)
    async with (
        lifetime(tmp_path, clock) as (first, first_sent),
        lifetime(tmp_path, clock) as (
            second,
            second_sent,
        ),
    ):
        assert round_job(1) in first.services.scheduler.job_ids()  # rebuilt from the database
        clock.set(FIRST)
        done = [await run_due(app.services, FIRST) for app in (first, second, first)]
        assert sum(p.rounds for p in done) == 1
        assert len(first_sent.sent) + len(second_sent.sent) == 4  # each member once
        config = await first.services.get(MatchingRepo).get_config(1)
        assert config is not None and config.next_run_at == SECOND
        run = await first.services.runs.get(run_key(1, FIRST))
        assert run is not None and run.outcome == "sent"


async def test_a_round_claimed_by_a_process_that_died_is_resumed(
    tmp_path: Path, clock: FixedClock
) -> None:
    async with lifetime(tmp_path, clock) as (app, sent):
        await _members(app, 4)
        await type_in(app, ENABLE, role=Role.STAFF)
        # A process claimed the round, then died before writing it.
        assert await app.services.runs.claim(run_key(1, FIRST), KIND, "dead:1", FIRST)
        assert (await _tick(app, clock, FIRST + timedelta(seconds=30))).rounds == 0
        assert sent.sent == []  # maybe still being built by that process
    async with lifetime(tmp_path, clock) as (app, sent):
        await _tick(app, clock, FIRST + LEASE + timedelta(seconds=1))
        assert len(sent.sent) == 4
        assert (await app.services.runs.get(run_key(1, FIRST))).outcome == "sent"
        await _tick(app, clock, FIRST + LEASE + timedelta(minutes=1))
        assert len(sent.sent) == 4


async def test_the_next_round_avoids_repeats(tmp_path: Path, clock: FixedClock) -> None:
    async with lifetime(tmp_path, clock) as (app, sent):
        users = await _members(app, 6)
        await type_in(app, ENABLE, role=Role.STAFF)
        await _tick(app, clock, FIRST)
        first = _groups(sent, users)
        sent.sent.clear()
        await _tick(app, clock, SECOND)
        second = _groups(sent, users)
        assert len(first) == len(second) == 3
        pairs = {frozenset(p) for g in first for p in combinations(g, 2)}
        assert not any(frozenset(p) in pairs for g in second for p in combinations(g, 2))


async def test_who_cannot_receive_a_dm_is_introduced_in_the_channel(
    tmp_path: Path, clock: FixedClock
) -> None:
    async with lifetime(tmp_path, clock, failing={"dm:m0"}, transient={"dm:m1"}) as (app, sent):
        await _members(app, 2)
        await type_in(app, ENABLE, role=Role.STAFF)
        await _tick(app, clock, FIRST)
        (post,) = sent.to("#general")
        assert post.text.startswith("Pour M0 :\nCette fois, fedbot vous présente M1.")
        assert sent.to("@m1") == []  # rate limited: retried at the next sweep
        sent.transient.clear()
        await _tick(app, clock, FIRST + timedelta(minutes=1))
        assert len(sent.to("@m1")) == 1
        await _tick(app, clock, FIRST + timedelta(minutes=2))
        assert len(sent.sent) == 2


async def test_members_are_asked_once_if_they_met_and_answers_feed_stats(
    tmp_path: Path, clock: FixedClock
) -> None:
    async with lifetime(tmp_path, clock) as (app, sent):
        users = await _members(app, 4)
        await type_in(app, ENABLE, role=Role.STAFF)
        await _tick(app, clock, FIRST)
        sent.sent.clear()
        assert (await _tick(app, clock, FIRST + timedelta(days=4, hours=23))).asked == 0
        assert (await _tick(app, clock, FIRST + timedelta(days=5, minutes=1))).asked == 4
        assert (await _tick(app, clock, FIRST + timedelta(days=5, minutes=2))).asked == 0
        question = sent.to("@m0")[0]
        assert question.title == "Alors, cette rencontre ?"
        assert [b.label for b in question.buttons] == ["Oui", "Pas encore"]
        thanks = await click(app, question.buttons[0], user="m0")
        assert thanks.replace_original and thanks.message.text.startswith("Merci !")
        (partner,) = [u for u in users[1:] if sent.to(f"@{u}")[0].buttons == question.buttons]
        await click(app, sent.to(f"@{partner}")[0].buttons[1], user=partner)
        stranger = next(u for u in users[1:] if u != partner)
        intruder = await click(app, question.buttons[0], user=stranger)
        assert intruder.is_error and "ne vous concerne pas" in intruder.message.text
        stats = await type_in(app, "/match stats", role=Role.MODERATOR)
        values = {f.name: plain(f.value) for f in stats.message.fields}
        assert values["Tours"] == "1"
        assert values["Groupes"] == "2 (dont 0 à trois)"
        assert values["Questions « alors ? » envoyées"] == "4"
        assert values["Réponses"] == "2"
        assert values["Rencontres faites"] == "1 (50 % des groupes)"
        refused = await type_in(app, "/match stats", role=Role.MEMBER)
        assert refused.is_error


async def test_snooze_skips_rounds_until_the_date(tmp_path: Path, clock: FixedClock) -> None:
    async with lifetime(tmp_path, clock) as (app, sent):
        await _members(app, 3)
        reply = await type_in(app, "/match snooze weeks:3", user="m2")
        assert plain(reply.message.text).startswith("Pause jusqu'au jeudi 17 décembre 2026")
        await type_in(app, ENABLE, role=Role.STAFF)
        await _tick(app, clock, FIRST)
        assert "@m2" not in sent.targets() and len(sent.sent) == 2
        past = await type_in(app, '/match snooze until:"1 janvier 2020"', user="m2")
        assert past.is_error
        await type_in(app, "/match snooze weeks:0", user="m2")
        sent.sent.clear()
        await _tick(app, clock, SECOND)
        assert "@m2" in sent.targets()


async def test_a_round_missed_for_too_long_is_skipped_not_run_late(
    tmp_path: Path, clock: FixedClock
) -> None:
    async with lifetime(tmp_path, clock) as (app, sent):
        await _members(app, 2)
        await type_in(app, ENABLE, role=Role.STAFF)
    async with lifetime(tmp_path, clock) as (app, sent):  # the bot was down for 2 days
        progress = await _tick(app, clock, FIRST + timedelta(days=2))
        assert progress.rounds == 0 and sent.sent == []
        assert (await app.services.runs.get(run_key(1, FIRST))).outcome == "late"
        config = await app.services.get(MatchingRepo).get_config(1)
        assert config.next_run_at == SECOND
        await _tick(app, clock, SECOND)
        assert len(sent.sent) == 2


async def test_a_moderator_can_run_a_round_now(app: BotApp) -> None:
    sent = Recorder()
    app.outbound.register(sent)
    await _members(app, 5)
    none = await type_in(app, "/match rounds now", role=Role.STAFF)
    assert none.is_error
    await type_in(app, ENABLE, role=Role.STAFF)
    reply = await type_in(app, "/match rounds maintenant", role=Role.STAFF)
    assert reply.message.text == "Tour lancé : 2 groupes formés, les présentations partent."
    assert DELIVER_JOB in app.services.scheduler.job_ids()  # sent in the background
    assert (await run_due(app.services, app.clock.now())).introduced == 5
    assert len(sent.sent) == 5
    config = await app.services.get(MatchingRepo).get_config(1)
    assert config.next_run_at == FIRST  # the schedule is unchanged
    assert T0 < FIRST


async def test_a_round_run_now_at_the_scheduled_minute_replaces_that_round(app: BotApp) -> None:
    sent = Recorder()
    app.outbound.register(sent)
    await _members(app, 4)
    await type_in(app, ENABLE, role=Role.STAFF)
    app.clock.set(FIRST)  # type: ignore[attr-defined]
    assert not (await type_in(app, "/match rounds now", role=Role.STAFF)).is_error
    progress = await run_due(app.services, FIRST)
    assert (progress.rounds, progress.introduced) == (0, 4)  # one round at 09:00, not two
    config = await app.services.get(MatchingRepo).get_config(1)
    assert config.next_run_at == SECOND  # and the schedule moves on
    assert (await run_due(app.services, FIRST + timedelta(minutes=1))).rounds == 0

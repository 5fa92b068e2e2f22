"""Digest runs on a simulated clock: jobs rebuilt on start, DST, exactly once across a restart,
a crash and two processes sharing one database, missed runs and their grace, empty digests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import BotApp
from bot.clock import FixedClock
from commands.digest import runner
from commands.digest.store.digests import DigestRepo
from tests.conftest import T0
from tests.digest_support import (
    Crash,
    app_on,
    at,
    create,
    plain,
    recorder,
    setup_agencies,
    type_in,
)
from tests.recording import RecordingSender
from tests.waiting import until

MONDAY = at("2026-11-30T08:00:00+00:00")  # 09:00 in Paris
NEXT_MONDAY = at("2026-12-07T08:00:00+00:00")
KEY = "digest:1:2026-11-30T08:00Z"
WEEKLY = 'schedule:"tous les lundis à 9h" skip_empty:no'


async def _first_app(tmp_path: Path, clock: FixedClock, options: str = WEEKLY) -> None:
    """A first bot process creates the digest (Thursday 26 November) and stops."""
    async with app_on(tmp_path, clock) as app:
        await setup_agencies(app)
        await create(app, options)


async def test_jobs_are_rebuilt_from_the_database_on_start(tmp_path, clock) -> None:
    async with app_on(tmp_path, clock) as app:
        await setup_agencies(app)
        await create(app, WEEKLY)
        paused = await create(app, WEEKLY, channel="rennes")
        await type_in(app, f"/digest pause {paused}")
    async with app_on(tmp_path, clock) as again:
        jobs = again.services.scheduler.job_ids()
        assert "digest.1" in jobs and "digest.2" not in jobs
        assert {runner.RECOVER_JOB, runner.SWEEP_JOB} <= set(jobs)


async def test_a_scheduled_run_is_sent_once_at_its_time(app: BotApp, clock) -> None:
    await setup_agencies(app)
    sender = recorder(app)
    await create(app, WEEKLY)
    services = app.services
    assert await runner.run_due(services, at("2026-11-30T07:59:00+00:00")) == {}
    assert await runner.run_due(services, MONDAY.replace(microsecond=300)) == {1: "sent"}
    assert await runner.run_due(services, at("2026-11-30T08:01:00+00:00")) == {1: "taken"}
    assert await runner.run_due(services, at("2026-11-30T08:06:00+00:00")) == {}
    (message,) = sender.to("#nantes")
    assert message.footer == "Récap n°1 · prochain envoi : lundi 7 décembre 2026 à 9 h"
    run = await services.runs.get(KEY)
    assert run is not None and run.outcome == "sent" and run.finished_at is not None
    digest = await services.get(DigestRepo).get(1)
    assert digest.last_run_at == MONDAY and digest.last_outcome == "sent"


async def test_weekly_monday_stays_at_nine_across_daylight_saving(app: BotApp, clock) -> None:
    clock.set(at("2027-03-20T12:00:00+00:00"))
    await setup_agencies(app)
    sender = recorder(app)
    await create(app, WEEKLY)
    services = app.services
    digest = await services.get(DigestRepo).get(1)
    winter, summer = at("2027-03-22T08:00:00+00:00"), at("2027-03-29T07:00:00+00:00")
    assert runner.next_run(services, digest, clock.now()) == winter
    assert runner.next_run(services, digest, winter) == summer  # 09:00 CEST after 28 March
    assert await runner.run_due(services, winter) == {1: "sent"}
    # An hour later in UTC would be 10:00 local: nothing is due then.
    assert await runner.run_due(services, at("2027-03-29T08:00:00+00:00")) == {}
    assert await runner.run_due(services, summer) == {1: "sent"}
    assert await services.runs.get("digest:1:2027-03-22T08:00Z") is not None
    assert await services.runs.get("digest:1:2027-03-29T07:00Z") is not None
    assert len(sender.to("#nantes")) == 2
    # And back in autumn (31 October 2027): 09:00 CEST, then 09:00 CET.
    autumn = runner.next_run(services, digest, at("2027-10-24T12:00:00+00:00"))
    assert autumn == at("2027-10-25T07:00:00+00:00")
    assert runner.next_run(services, digest, autumn) == at("2027-11-01T08:00:00+00:00")
    listed = await type_in(app, "/digest list", lang="en")
    assert "every Monday at 9:00 AM" in listed.message.fields[0].value


async def test_exactly_once_across_a_restart(tmp_path, clock) -> None:
    await _first_app(tmp_path, clock)
    clock.set(MONDAY)
    async with app_on(tmp_path, clock) as first:
        sender = recorder(first)
        assert await runner.run_due(first.services, MONDAY) == {1: "sent"}
    clock.set(at("2026-11-30T08:02:00+00:00"))
    async with app_on(tmp_path, clock) as second:
        again = recorder(second)
        assert await runner.recover(second.services, clock.now()) == {}  # nothing missed
        assert await runner.run_due(second.services, clock.now()) == {1: "taken"}
        assert again.sent == []
    assert len(sender.sent) == 1


@pytest.mark.parametrize("accepted", [False, True], ids=["before-send", "after-send"])
async def test_a_run_interrupted_by_a_crash_is_resumed_once(tmp_path, clock, accepted) -> None:
    """The process dies before the platform got the digest, or after (the digest is out, the
    ledger never heard): either way the channel gets it exactly once."""
    await _first_app(tmp_path, clock)
    clock.set(MONDAY)
    async with app_on(tmp_path, clock) as first:
        platform = recorder(first, crash=not accepted, crash_after_accept=accepted)
        with pytest.raises(Crash):  # the process "dies" while sending
            await runner.run_scheduled(first.services, 1, MONDAY)
        (run,) = await first.services.runs.unfinished("digest")
        assert run.key == KEY
    # Restarted 30 seconds later: the claim's lease has not lapsed, its owner may be sending.
    clock.set(at("2026-11-30T08:00:30+00:00"))
    async with app_on(tmp_path, clock) as second:
        second.outbound.register(platform)  # the same channel, as the platform keeps it
        platform.clear()
        assert await runner.recover(second.services, clock.now()) == {1: "taken"}
        assert platform.sent == []
        # Once the lease lapsed, the sweep takes the run over, checks the channel, sends once.
        clock.set(at("2026-11-30T08:01:01+00:00"))
        assert await runner.resume_interrupted(second.services, clock.now()) == 1
        assert await runner.resume_interrupted(second.services, clock.now()) == 0
        assert len(platform.to("#nantes")) == (0 if accepted else 1)
        run = await second.services.runs.get(KEY)
        assert run.outcome == "sent" and run.finished_at is not None
    clock.set(at("2026-11-30T08:30:00+00:00"))
    async with app_on(tmp_path, clock) as third:
        quiet = recorder(third)
        await runner.recover(third.services, clock.now())
        assert quiet.sent == []


async def test_an_interrupted_run_too_old_to_resume_is_recorded_as_missed(
    tmp_path, clock, caplog
) -> None:
    await _first_app(tmp_path, clock)
    clock.set(MONDAY)
    async with app_on(tmp_path, clock) as first:
        recorder(first, crash=True)
        with pytest.raises(Crash):
            await runner.run_scheduled(first.services, 1, MONDAY)
    clock.set(at("2026-11-30T11:00:00+00:00"))  # three hours later: beyond the grace
    async with app_on(tmp_path, clock) as second:
        sender = recorder(second)
        with caplog.at_level(logging.WARNING, "commands.digest.runner"):
            await runner.recover(second.services, clock.now())
        assert sender.sent == []
        assert (await second.services.runs.get(KEY)).outcome == "missed"
        assert "too old to resume" in caplog.text


async def test_two_processes_sharing_a_database_send_each_run_once(tmp_path, clock) -> None:
    await _first_app(tmp_path, clock)
    clock.set(MONDAY)
    async with app_on(tmp_path, clock) as first, app_on(tmp_path, clock) as second:
        # A slow platform: the first send is still in flight when the other process looks.
        senders = [recorder(first, delay=0.2), recorder(second, delay=0.2)]
        outcomes = await asyncio.gather(
            runner.run_due(first.services, MONDAY),
            runner.run_due(second.services, MONDAY),
            runner.recover(first.services, MONDAY),
            runner.recover(second.services, MONDAY),
        )
        assert sorted(o[1] for o in outcomes) == ["sent", "taken", "taken", "taken"]
        assert sum(len(s.sent) for s in senders) == 1
        # Their sweeps, later, find nothing left to do.
        later = at("2026-11-30T08:30:00+00:00")
        assert await runner.resume_interrupted(first.services, later) == 0
        assert await runner.resume_interrupted(second.services, later) == 0


async def test_a_slow_send_is_not_resumed_while_in_flight(app: BotApp, clock) -> None:
    await setup_agencies(app)
    sender = recorder(app, delay=2.0)
    await create(app, WEEKLY)
    in_flight = asyncio.create_task(runner.run_scheduled(app.services, 1, MONDAY))
    await until(_answering(sender), "the platform answering")  # claimed, still sending
    (run,) = await app.services.runs.unfinished("digest")
    assert run.key == KEY and not in_flight.done()
    a_minute_later = at("2026-11-30T08:01:00+00:00")
    assert await runner.resume_interrupted(app.services, a_minute_later) == 0
    assert await runner.run_due(app.services, a_minute_later) == {1: "taken"}
    assert await in_flight == "sent"
    assert len(sender.sent) == 1


async def test_a_run_missed_while_down_is_sent_once_within_the_grace(tmp_path, clock) -> None:
    await _first_app(tmp_path, clock)
    clock.set(at("2026-11-30T08:40:00+00:00"))  # started 40 minutes after the run time
    async with app_on(tmp_path, clock) as app:
        sender = recorder(app)
        assert await runner.recover(app.services, clock.now()) == {1: "sent"}
        assert await runner.recover(app.services, clock.now()) == {}
        assert await runner.run_due(app.services, clock.now()) == {}  # beyond a job's lateness
        assert len(sender.to("#nantes")) == 1
        assert (await app.services.runs.get(KEY)).outcome == "sent"


async def test_a_run_missed_beyond_the_grace_is_skipped_and_logged(tmp_path, clock, caplog) -> None:
    await _first_app(tmp_path, clock)
    async with app_on(tmp_path, clock) as first:
        recorder(first)
        assert await runner.run_due(first.services, MONDAY) == {1: "sent"}
    clock.set(at("2026-12-07T10:30:00+00:00"))  # a week later, 2 h 30 late: grace is 60 min
    key = "digest:1:2026-12-07T08:00Z"
    async with app_on(tmp_path, clock) as app:
        sender = recorder(app)
        with caplog.at_level(logging.WARNING, "commands.digest.runner"):
            assert await runner.recover(app.services, clock.now()) == {1: "missed"}
        assert "missed by 150 min (grace 60 min): skipped" in caplog.text
        caplog.clear()
        assert await runner.recover(app.services, clock.now()) == {1: "taken"}
        assert caplog.text == ""
        assert sender.sent == []
        assert (await app.services.runs.get(key)).outcome == "missed"
        listed = await type_in(app, "/digest list")
        assert "manqué (bot arrêté)" in listed.message.fields[0].value
        # The next run goes out as usual and covers the missed week as well.
        assert await runner.run_due(app.services, at("2026-12-14T08:00:00+00:00")) == {1: "sent"}
        (message,) = sender.to("#nantes")
        assert plain(message.text).startswith("Période : 30 nov. – 14 déc. 2026.")


async def test_the_grace_is_configurable(tmp_path, clock) -> None:
    await _first_app(tmp_path, clock)
    clock.set(at("2026-11-30T08:40:00+00:00"))
    async with app_on(tmp_path, clock, {"digest": {"grace_minutes": 30}}) as app:
        sender = recorder(app)
        assert await runner.recover(app.services, clock.now()) == {1: "missed"}
        assert sender.sent == []


async def test_only_the_latest_missed_run_counts(tmp_path, clock) -> None:
    await _first_app(tmp_path, clock, 'schedule:"quotidien 9h" skip_empty:no')
    clock.set(at("2026-11-30T08:10:00+00:00"))  # down since Thursday: four daily runs missed
    async with app_on(tmp_path, clock) as app:
        sender = recorder(app)
        assert await runner.recover(app.services, clock.now()) == {1: "sent"}
        assert len(sender.sent) == 1
        assert await app.services.runs.get("digest:1:2026-11-29T08:00Z") is None
        (message,) = sender.sent
        assert plain(message[1].text).startswith("Période : 26–30 nov. 2026.")


async def test_an_empty_digest_is_skipped_unless_asked(app: BotApp, clock) -> None:
    await setup_agencies(app)
    sender = recorder(app)
    await create(app, 'schedule:"lundi 9h" sections:events')
    await create(app, 'schedule:"lundi 9h" sections:events skip_empty:non', channel="rennes")
    assert await runner.run_due(app.services, MONDAY) == {1: "empty", 2: "sent"}
    assert sender.to("#nantes") == []
    (message,) = sender.to("#rennes")
    assert "Rien de neuf cette fois-ci." in message.text and message.fields == ()
    assert (await app.services.runs.get(KEY)).outcome == "empty"


async def test_paused_digests_are_not_sent_nor_caught_up(app: BotApp, clock) -> None:
    await setup_agencies(app)
    sender = recorder(app)
    await create(app, WEEKLY)
    await type_in(app, "/digest pause 1")
    assert await runner.run_due(app.services, MONDAY) == {}
    clock.set(at("2026-11-30T08:20:00+00:00"))
    await type_in(app, "/digest resume 1")
    assert await runner.recover(app.services, clock.now()) == {}
    assert sender.sent == []


async def test_a_refused_send_is_recorded_and_the_next_run_goes_on(app: BotApp, clock) -> None:
    await setup_agencies(app)
    sender = recorder(app, failing={"nantes"})
    await create(app, WEEKLY)
    assert await runner.run_due(app.services, MONDAY) == {1: "failed"}
    run = await app.services.runs.get(KEY)
    assert run.outcome == "failed"
    assert (await app.services.get(DigestRepo).get(1)).last_outcome == "failed"
    sender.failing.clear()
    assert await runner.run_due(app.services, NEXT_MONDAY) == {1: "sent"}
    assert T0 < NEXT_MONDAY


async def test_an_interrupted_run_of_a_deleted_digest_is_dropped(app: BotApp, clock) -> None:
    await setup_agencies(app)
    sender = recorder(app, crash=True)
    await create(app, WEEKLY)
    with pytest.raises(Crash):
        await runner.run_scheduled(app.services, 1, MONDAY)
    await type_in(app, "/digest delete 1")
    assert await runner.resume_interrupted(app.services, at("2026-11-30T08:20:00+00:00")) == 1
    assert (await app.services.runs.get(KEY)).outcome == "gone"
    assert sender.sent == []


def test_run_keys_read_back() -> None:
    scheduled = runner.RunKey(12, MONDAY)
    manual = runner.RunKey(3, at("2026-11-26T09:00:07+00:00"), manual=True)
    assert str(scheduled) == "digest:12:2026-11-30T08:00Z"
    assert str(manual) == "digest:3:manual:2026-11-26T09:00:07Z"
    assert runner.RunKey.parse(str(scheduled)) == scheduled
    assert runner.RunKey.parse(str(manual)) == manual
    for other in ("digest:x:2026", "event-reminder:1:2:3:4", f"{scheduled}:resume"):
        assert runner.RunKey.parse(other) is None


def _answering(sender: RecordingSender) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return sender.arriving > 0

    return probe


async def test_a_stopping_bot_lets_a_digest_being_sent_finish(tmp_path, clock) -> None:
    await _first_app(tmp_path, clock)
    clock.set(MONDAY)
    async with app_on(tmp_path, clock) as app:
        sender = recorder(app, delay=0.3)
        # The digest's job fires, as APScheduler runs it: in a task the scheduler cancels when
        # it shuts down, which the bot does first when it stops.
        job = asyncio.create_task(runner.digest_job(app.services, 1)())
        await until(_answering(sender), "the platform answering")  # claimed, being sent
        job.cancel()
        await app.stop_features()
        # Stopping waited for the run: sent and finished while the database is still open.
        assert len(sender.sent) == 1
        assert (await app.services.runs.get(KEY)).outcome == "sent"
    # And the same for a `digest run` typed just before the stop.
    async with app_on(tmp_path, clock) as app:
        sender = recorder(app, delay=0.3)
        typed = asyncio.create_task(type_in(app, "/digest run 1"))
        await until(_answering(sender), "the platform answering")
        await app.stop_features()
        assert typed.done() and len(sender.sent) == 1


async def test_the_job_runs_on_the_bots_scheduler_at_paris_wall_clock_time(app: BotApp) -> None:
    await setup_agencies(app)
    await create(app, WEEKLY)
    scheduler = app.services.scheduler
    for other in scheduler.job_ids():  # only the digest's job: nothing else may fire meanwhile
        if other != "digest.1":
            scheduler.remove(other)
    scheduler.start()  # the real AsyncIOScheduler on this loop, counting from the real time
    try:
        local = scheduler.next_run("digest.1").astimezone(ZoneInfo("Europe/Paris"))
        assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
        await type_in(app, '/digest edit 1 schedule:"0 18 * * 5"')
        local = scheduler.next_run("digest.1").astimezone(ZoneInfo("Europe/Paris"))
        assert (local.weekday(), local.hour, local.minute) == (4, 18, 0)
        await type_in(app, "/digest pause 1")
        assert scheduler.next_run("digest.1") is None
    finally:
        scheduler.shutdown()

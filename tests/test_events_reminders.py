"""Reminders: by direct message, at the configured offsets, persisted so that a restart
neither loses nor repeats one (simulated clock, two app lifetimes on one database file)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import BotApp
from bot.clock import FixedClock
from bot.settings import ClusterSettings
from bot.spec import Role
from commands.events.reminders import JOB_ID, KIND, send_due_reminders
from commands.events.store.events import EventRepo
from fedbot.assembly import make_app
from tests.conftest import T0, make_config
from tests.events_support import RecordingSender, event_id, plain, setup_agencies, type_in

LEASE = timedelta(seconds=ClusterSettings().lease_seconds)  # a dead owner's claim lapses

START = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # "4 déc. 18h" in Paris
DAY_BEFORE, HOUR_BEFORE = START - timedelta(hours=24), START - timedelta(hours=1)
NANTES = 'agency:"Nantes Métropole Développement"'


@asynccontextmanager
async def lifetime(
    tmp_path: Path, clock: FixedClock, raw: dict[str, Any] | None = None
) -> AsyncIterator[tuple[BotApp, RecordingSender]]:
    """One run of the bot on the test's database file, with a recording console sender."""
    async with make_app(make_config(tmp_path, raw), clock=clock, start_scheduler=False) as app:
        sender = RecordingSender()
        app.outbound.register(sender)
        yield app, sender


async def _event_with_guests(app: BotApp, *guests: tuple[str, str]) -> int:
    await setup_agencies(app)
    reply = await type_in(app, f'/event create "Forum des tiers-lieux" "4 déc. 18h" {NANTES}')
    number = event_id(reply)
    for user, lang in guests:
        await type_in(app, f"/event rsvp {number} going", user=user, lang=lang, role=Role.MEMBER)
    return number


async def _tick(app: BotApp, clock: FixedClock, moment: datetime) -> int:
    clock.set(moment)
    return await send_due_reminders(app.services, moment)


async def test_reminders_go_once_in_each_language_and_survive_a_restart(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    async with lifetime(tmp_path, clock) as (app, sent):
        assert JOB_ID in app.services.scheduler.job_ids()
        await _event_with_guests(app, ("alice", "fr"), ("bob", "en"))
        sent.clear()
        assert await _tick(app, clock, DAY_BEFORE - timedelta(minutes=1)) == 0
        assert await _tick(app, clock, DAY_BEFORE + timedelta(seconds=20)) == 2
        (fr,), (en,) = sent.to("@alice"), sent.to("@bob")
        assert fr.title == "Rappel : Forum des tiers-lieux"
        assert plain(fr.text).startswith("Ça commence dans 24 heures.")
        assert plain(en.text).startswith("It starts in 24 hours.")
        assert [b.label for b in en.buttons] == ["I can't come any more"]
        assert await _tick(app, clock, DAY_BEFORE + timedelta(seconds=50)) == 0
    async with lifetime(tmp_path, clock) as (app, sent):  # a restart
        assert await _tick(app, clock, DAY_BEFORE + timedelta(minutes=1)) == 0
        assert await _tick(app, clock, HOUR_BEFORE) == 2
        assert plain(sent.to("@alice")[0].text).startswith("Ça commence dans 1 heure.")
        assert await _tick(app, clock, HOUR_BEFORE + timedelta(minutes=1)) == 0
        assert len(sent.sent) == 2


async def test_a_reminder_missed_while_down_is_sent_late_only_before_the_start(
    tmp_path: Path,
) -> None:
    clock = FixedClock(T0)
    async with lifetime(tmp_path, clock) as (app, _):
        await _event_with_guests(app, ("alice", "fr"))
    late = DAY_BEFORE + timedelta(hours=5)  # down from T0 until 5 hours after the 24 h mark
    async with lifetime(tmp_path, clock) as (app, sent):
        assert await _tick(app, clock, late) == 1
        assert plain(sent.to("@alice")[0].text).startswith("Ça commence dans 19 heures.")
    async with lifetime(tmp_path, clock) as (app, sent):  # down again past the start
        assert await _tick(app, clock, START + timedelta(minutes=5)) == 0
        assert sent.sent == []


async def test_when_several_are_due_at_once_only_the_nearest_is_sent(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    async with lifetime(tmp_path, clock) as (app, sent):
        await _event_with_guests(app, ("alice", "fr"))
        sent.clear()
        assert await _tick(app, clock, HOUR_BEFORE + timedelta(minutes=10)) == 1
        assert plain(sent.to("@alice")[0].text).startswith("Ça commence dans 50 minutes.")
        assert await _tick(app, clock, HOUR_BEFORE + timedelta(minutes=20)) == 0


async def test_no_reminder_for_a_cancelled_event_or_after_withdrawing(app, clock) -> None:
    sent = RecordingSender()
    app.outbound.register(sent)
    first = await _event_with_guests(app, ("alice", "fr"), ("bob", "fr"))
    await type_in(app, f"/event rsvp {first} no", user="bob", role=Role.MEMBER)
    sent.clear()
    assert await _tick(app, clock, DAY_BEFORE) == 1
    assert sent.targets() == ["@alice"]
    await type_in(app, f"/event cancel {first}")
    assert await _tick(app, clock, HOUR_BEFORE) == 0


async def test_an_edited_start_retargets_reminders(app, clock) -> None:
    sent = RecordingSender()
    app.outbound.register(sent)
    number = await _event_with_guests(app, ("alice", "fr"))
    assert await _tick(app, clock, DAY_BEFORE) == 1
    await type_in(app, f'/event edit {number} start:"11 déc. 18h"')
    sent.clear()
    assert await _tick(app, clock, HOUR_BEFORE) == 0  # the old time: nothing
    week = timedelta(days=7)
    assert await _tick(app, clock, DAY_BEFORE + week) == 1  # the 24 h reminder, again
    assert await _tick(app, clock, HOUR_BEFORE + week) == 1
    assert "vendredi 11 décembre 2026" in sent.to("@alice")[0].fields[0].value


async def test_answering_late_skips_reminders_already_past(app, clock) -> None:
    sent = RecordingSender()
    app.outbound.register(sent)
    number = await _event_with_guests(app)
    clock.set(START - timedelta(hours=3))
    await type_in(app, f"/event rsvp {number} going", user="carl", role=Role.MEMBER)
    assert await _tick(app, clock, START - timedelta(hours=2)) == 0  # no "24 h before"
    assert await _tick(app, clock, HOUR_BEFORE) == 1


async def test_a_waitlisted_person_promoted_gets_the_reminders(app, clock) -> None:
    sent = RecordingSender()
    app.outbound.register(sent)
    await setup_agencies(app)
    reply = await type_in(app, f'/event create "Atelier" "4 déc. 18h" capacity:1 {NANTES}')
    number = event_id(reply)
    for user in ("ann", "ben"):
        await type_in(app, f"/event rsvp {number} going", user=user, role=Role.MEMBER)
    await type_in(app, f"/event rsvp {number} no", user="ann", role=Role.MEMBER)
    sent.clear()
    assert await _tick(app, clock, DAY_BEFORE) == 1
    assert sent.targets() == ["@ben"]


async def test_a_send_interrupted_by_a_crash_is_resumed_once(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    async with lifetime(tmp_path, clock) as (app, _):
        await _event_with_guests(app, ("alice", "fr"))
        clock.set(DAY_BEFORE)
        (due,) = await app.services.get(EventRepo).reminders.due(DAY_BEFORE)
        # The process claims the run, then dies before sending.
        assert await app.services.runs.claim(due.run_key, KIND, "dead:1:abc", DAY_BEFORE)
    async with lifetime(tmp_path, clock) as (app, sent):
        assert await _tick(app, clock, DAY_BEFORE + timedelta(seconds=30)) == 0
        assert sent.sent == []  # maybe still being sent by a live process: wait
        await _tick(app, clock, DAY_BEFORE + LEASE + timedelta(seconds=1))
        assert len(sent.to("@alice")) == 1
        await _tick(app, clock, DAY_BEFORE + LEASE + timedelta(minutes=1))
        assert len(sent.to("@alice")) == 1
        assert (await app.services.runs.get(due.run_key)).outcome == "sent"
        assert await app.services.runs.unfinished(KIND) == []


async def test_reminders_wait_for_their_platform_and_failures_are_not_retried(app, clock) -> None:
    await _event_with_guests(app, ("alice", "fr"))
    assert await _tick(app, clock, DAY_BEFORE) == 0  # no console adapter running yet
    sent = RecordingSender(failing={"dm:alice"})
    app.outbound.register(sent)
    assert await _tick(app, clock, DAY_BEFORE + timedelta(minutes=1)) == 0  # refused: failed
    sent.failing.clear()
    assert await _tick(app, clock, DAY_BEFORE + timedelta(minutes=2)) == 0
    assert await _tick(app, clock, HOUR_BEFORE) == 1


async def test_changed_offsets_apply_to_upcoming_events_at_the_next_start(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    async with lifetime(tmp_path, clock) as (app, _):
        await _event_with_guests(app, ("alice", "fr"))
    raw = {"events": {"reminder_offsets": ["2 jours", "1h"]}}
    async with lifetime(tmp_path, clock, raw) as (app, sent):
        assert await _tick(app, clock, START - timedelta(days=2)) == 1
        assert await _tick(app, clock, DAY_BEFORE) == 0  # 24 h is no longer configured
        assert await _tick(app, clock, HOUR_BEFORE) == 1
        assert plain(sent.to("@alice")[0].text).startswith("Ça commence dans 2 jours.")

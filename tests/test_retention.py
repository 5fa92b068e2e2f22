"""Retention on a simulated clock: each kind of data goes after its `[privacy]` duration, an
event's RSVPs become counts, the dry run deletes nothing, and the daily job is scheduled."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.identity import Caller, ChannelRef, Place
from bot.retention import enforce
from bot.storage.runs import scheduled_runs
from commands.events.store.events import EventRepo
from commands.events.store.tables import event_attendance, event_rsvps
from commands.faq.store.tables import faq_asks, faq_unanswered
from fedbot.assembly import make_app
from tests.conftest import T0, make_config

ANN = Caller("slack", "T1", "U0ANN", "Ann", "fr")
PLACE = Place(ChannelRef("slack", "T1", "C1"))


async def _count(app, table) -> int:
    async with app.db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_each_kind_goes_after_its_duration(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    config = make_config(tmp_path, {"privacy": {"unanswered_days": 30, "rsvp_months": 2}})
    async with make_app(config, clock, start_scheduler=False) as app:
        await app.load_demo()
        handle = app.dispatcher.handle_text
        await handle(ANN, PLACE, "/faq ask une question que personne ne connaît")
        await handle(ANN, PLACE, "/event rsvp 1 going")
        event = await app.services.get(EventRepo).get(1)
        await app.services.runs.claim("digest:1:x", "digest", "me", clock.now())
        await app.services.runs.finish("digest:1:x", clock.now(), "sent")

        clock.set(T0 + timedelta(days=20))  # nothing is old enough yet
        assert {r.name: n for r, n in await enforce(app.services, clock.now())} == {
            "announce.audit": 0, "announce.outbox": 0, "core.ledger": 0, "events.rsvps": 0,
            "faq.activity": 0, "faq.unanswered": 0, "match.history": 0,
        }  # fmt: skip

        clock.set(T0 + timedelta(days=31))  # the question: 30 days without being asked again
        dry = {r.name: n for r, n in await enforce(app.services, clock.now(), dry_run=True)}
        assert dry["faq.unanswered"] == 1 and await _count(app, faq_unanswered) == 1
        await enforce(app.services, clock.now())
        assert await _count(app, faq_unanswered) == 0

        clock.set((event.ends_at or event.starts_at) + timedelta(days=70))  # 2 months after
        going = await _count(app, event_rsvps)
        done = {r.name: n for r, n in await enforce(app.services, clock.now())}
        assert done["events.rsvps"] >= 1
        async with app.db.read() as conn:
            kept = (await conn.execute(select(event_attendance))).all()
            left = (
                await conn.execute(select(event_rsvps).where(event_rsvps.c.event_id == event.id))
            ).all()
        assert left == [] and going > 0
        assert any(row.event_id == event.id and row.going >= 1 for row in kept)

        clock.set(T0 + timedelta(days=400))  # past 13 months: the ask log goes too
        await enforce(app.services, clock.now())
        assert await _count(app, faq_asks) == 0
        assert await _count(app, scheduled_runs) == 0  # the ledger: 90 days


async def test_the_purge_runs_every_day_at_its_hour(tmp_path: Path) -> None:
    config = make_config(tmp_path, {"privacy": {"purge_hour": 4}})
    async with make_app(config, FixedClock(T0), start_scheduler=False) as app:
        when = app.services.scheduler.next_run("privacy-retention")
    assert when is not None and (when.hour, when.minute) == (4, 17)

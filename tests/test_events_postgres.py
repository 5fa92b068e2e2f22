"""The whole events flow on PostgreSQL (opt-in: FEDBOT_TEST_POSTGRES_URL), so the feature's
queries stay portable: create, answer with a waitlist, list, edit, reminders, .ics, cancel."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from bot.clock import FixedClock
from commands.events.reminders import send_due_reminders
from fedbot.assembly import make_app
from tests.conftest import T0, make_config
from tests.events_support import (
    PG_URL,
    RecordingSender,
    event_id,
    postgres_database,
    setup_agencies,
    type_in,
)

pytestmark = pytest.mark.skipif(not PG_URL, reason="set FEDBOT_TEST_POSTGRES_URL")


async def test_events_work_on_postgresql(tmp_path: Path) -> None:
    assert PG_URL is not None
    async with postgres_database(PG_URL) as url:
        config = make_config(tmp_path)
        config = replace(config, bot=replace(config.bot, database_url=url))
        clock = FixedClock(T0)
        async with make_app(config, clock=clock, start_scheduler=False) as app:
            sent = RecordingSender()
            app.outbound.register(sent)
            await setup_agencies(app)
            reply = await type_in(
                app, '/event create "Atelier" "4 déc. 18h" capacity:1 tags:numerique '
                'agency:"Rennes Atalante" repeat:weekly count:2',
            )  # fmt: skip
            number = event_id(reply)
            for user in ("ann", "ben"):
                await type_in(app, f"/event rsvp {number} going", user=user)
            assert (
                "Liste d'attente (1), dans l'ordre: 1. ben"
                in (await type_in(app, f"/event attendees {number}")).message.plain_text()
            )
            listed = await type_in(app, "/event list region:bretagne tag:numerique")
            assert listed.message.fields[0].value.endswith("1 inscrit sur 1 · 1 en liste d'attente")
            await type_in(app, f"/event rsvp {number} no", user="ann")
            assert "une place s'est libérée" in sent.to("@ben")[0].text
            await type_in(app, f'/event edit {number} start:"4 déc. 19h" capacity:5')
            start = datetime(2026, 12, 4, 18, tzinfo=UTC)
            clock.set(start - timedelta(hours=24))
            assert await send_due_reminders(app.services, clock.now()) == 1
            assert await send_due_reminders(app.services, clock.now()) == 0
            ics = (await type_in(app, "/event ics tag:numerique")).message.attachments[0]
            assert len(Calendar.from_ical(ics.content).walk("VEVENT")) == 2
            done = await type_in(app, f"/event cancel {number} series:oui")
            assert done.message.text.startswith("2 dates de « Atelier » annulées")

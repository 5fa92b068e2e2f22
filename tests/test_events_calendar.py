"""Calendar export: .ics files validated by parsing them back (time zones, UID, SEQUENCE,
STATUS), feeds per agency and per tag, and the stable URLs of the bot's HTTP server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from icalendar import Calendar

from bot.clock import FixedClock
from bot.messages import Reply
from fedbot.assembly import make_app
from tests.conftest import T0, make_config
from tests.events_support import event_id, setup_agencies, type_in

PARIS = ZoneInfo("Europe/Paris")
NANTES = 'agency:"Nantes Métropole Développement"'
RENNES = 'agency:"Rennes Atalante"'


def calendar_of(reply: Reply) -> Calendar:
    (attachment,) = reply.message.attachments
    assert attachment.mime == "text/calendar" and attachment.filename.endswith(".ics")
    return Calendar.from_ical(attachment.content)


def vevents(cal: Calendar) -> dict[str, object]:
    return {str(e["summary"]): e for e in cal.walk("VEVENT")}


async def test_one_event_parses_back_with_its_zone_uid_and_details(app) -> None:
    await setup_agencies(app)
    number = event_id(
        await type_in(
            app,
            '/event create "Nuit du numérique" "4 déc. 18h" duration:3h place:"Cantine, Nantes" '
            f"link:https://visio.example.org/tpe tags:numerique,tpe {NANTES} "
            'description:"Ateliers pour les TPE"',
        )
    )
    cal = calendar_of(await type_in(app, f"/event ics event:{number}"))
    (tz,) = cal.walk("VTIMEZONE")
    assert str(tz["tzid"]) == "Europe/Paris"
    (event,) = cal.walk("VEVENT")
    assert event["dtstart"].params["TZID"] == "Europe/Paris"
    assert event.decoded("dtstart") == datetime(2026, 12, 4, 18, 0, tzinfo=PARIS)
    assert event.decoded("dtend").astimezone(UTC) == datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    assert str(event["location"]) == "Cantine, Nantes"
    assert str(event["url"]) == "https://visio.example.org/tpe"
    assert [str(c) for c in event["categories"].cats] == ["numerique", "tpe"]
    assert "Ateliers pour les TPE" in str(event["description"])
    assert "Nantes Métropole Développement" in str(event["description"])
    assert (event["sequence"], str(event["status"])) == (0, "CONFIRMED")
    assert str(event["uid"]).endswith("@fedbot")


async def test_edits_bump_the_sequence_and_a_cancellation_stays_in_feeds(app) -> None:
    await setup_agencies(app)
    number = event_id(await type_in(app, f'/event create "Forum" "4 déc. 18h" {NANTES}'))
    (before,) = calendar_of(await type_in(app, f"/event ics event:{number}")).walk("VEVENT")
    await type_in(app, f'/event edit {number} start:"2027-06-04 18:00"')
    (edited,) = calendar_of(await type_in(app, f"/event ics event:{number}")).walk("VEVENT")
    assert str(edited["uid"]) == str(before["uid"])  # the same event for every calendar
    assert edited["sequence"] == 1
    assert edited.decoded("dtstart").astimezone(UTC) == datetime(2027, 6, 4, 16, tzinfo=UTC)
    await type_in(app, f"/event cancel {number}")
    feed = vevents(calendar_of(await type_in(app, "/event ics")))
    assert str(feed["Forum"]["status"]) == "CANCELLED" and feed["Forum"]["sequence"] == 2


async def test_feeds_per_agency_and_per_tag(app, clock) -> None:
    await setup_agencies(app)
    await type_in(app, f'/event create "A Nantes" "4 déc. 18h" tags:numerique {NANTES}')
    await type_in(app, f'/event create "A Rennes" "5 déc. 18h" tags:"Numérique, export" {RENNES}')
    await type_in(app, '/event create "Passé" "27/11 18h" audience:all')
    clock.set(datetime(2027, 1, 15, 9, tzinfo=UTC))  # "Passé" ended 49 days ago, others 41
    await type_in(app, '/event create "Federation" "1/2 10h" audience:all')
    assert set(vevents(calendar_of(await type_in(app, "/event ics")))) == {
        "Federation",
    }
    clock.set(datetime(2026, 12, 1, 9, tzinfo=UTC))
    everything = vevents(calendar_of(await type_in(app, "/event ics")))
    assert set(everything) == {"A Nantes", "A Rennes", "Passé", "Federation"}
    rennes = calendar_of(await type_in(app, '/event ics agence:"Rennes Atalante"'))
    assert set(vevents(rennes)) == {"A Rennes"}
    assert str(rennes["x-wr-calname"]) == "Rennes Atalante"
    tagged = calendar_of(await type_in(app, "/event ics tag:numérique"))
    assert set(vevents(tagged)) == {"A Nantes", "A Rennes"}
    both = await type_in(app, "/event ics tag:numerique event:1")
    assert both.is_error and "Un seul choix à la fois" in both.message.text


async def test_the_http_server_serves_feeds_at_stable_urls(tmp_path: Path) -> None:
    raw = {"http": {"enabled": True, "port": 0, "public_url": "https://bot.example.org"}}
    clock = FixedClock(T0)
    async with make_app(make_config(tmp_path, raw), clock=clock, start_scheduler=False) as app:
        ids = await setup_agencies(app)
        await type_in(app, f'/event create "Forum" "4 déc. 18h" tags:numerique {NANTES}')
        reply = await type_in(app, "/event ics", lang="en")
        assert [link.url for link in reply.message.links] == [
            "https://bot.example.org/calendar/all.ics"
        ]
        await app.web.start()
        base = f"http://127.0.0.1:{app.web.port}/calendar"
        async with aiohttp.ClientSession() as http:
            for path in ("all", f"agency/{ids['nantes']}", "tag/numerique", "event/1"):
                async with http.get(f"{base}/{path}.ics") as response:
                    assert response.status == 200, path
                    assert response.content_type == "text/calendar"
                    body = await response.read()
                assert list(vevents(Calendar.from_ical(body))) == ["Forum"], path
            async with http.get(f"{base}/agency/{ids['rennes']}.ics") as response:
                assert vevents(Calendar.from_ical(await response.read())) == {}
            for missing in ("event/999", "agency/999", "tag/a%20b", "nothing"):
                async with http.get(f"{base}/{missing}.ics") as response:
                    assert response.status == 404, missing


async def test_without_the_http_server_the_file_comes_alone(app) -> None:
    reply = await type_in(app, "/event ics")
    assert reply.message.links == ()
    assert reply.message.attachments[0].filename == "all.ics"
    assert calendar_of(reply).walk("VEVENT") == []

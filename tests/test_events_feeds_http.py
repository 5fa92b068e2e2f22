"""The calendar feeds over real HTTP: validators and 304s, invalidation after a change made by
command (by this process or by a second one on the same database), one build shared by
concurrent requests and made off the event loop, the day's window."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from icalendar import Calendar

from bot import workers
from bot.app import BotApp
from bot.clock import FixedClock
from bot.http_cache import http_date
from commands.events.feedcache import FeedCache
from fedbot.assembly import make_app
from tests.conftest import T0, make_config
from tests.events_support import PG_URL, event_id, postgres_database, setup_agencies, type_in

NANTES = 'agency:"Nantes Métropole Développement"'
RENNES = 'agency:"Rennes Atalante"'
# The rate limit has tests of its own (test_web_ratelimit.py): off here.
HTTP = {"http": {"enabled": True, "port": 0, "public_rate": 0}}
DATABASES = [
    "sqlite",
    pytest.param(
        "postgresql", marks=pytest.mark.skipif(not PG_URL, reason="set FEDBOT_TEST_POSTGRES_URL")
    ),
]


@asynccontextmanager
async def database_url(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
        return
    assert PG_URL is not None
    async with postgres_database(PG_URL) as url:
        yield url


@asynccontextmanager
async def serving(
    tmp_path: Path, clock: FixedClock, url: str | None = None
) -> AsyncIterator[tuple[BotApp, str]]:
    """A bot with its HTTP server; yields it and the feeds' base URL."""
    config = make_config(tmp_path, HTTP)
    if url is not None:
        config = replace(config, bot=replace(config.bot, database_url=url))
    async with make_app(config, clock=clock, start_scheduler=False) as app:
        await app.web.start()
        yield app, f"http://127.0.0.1:{app.web.port}/calendar"


async def fetch(url: str, **headers: str) -> tuple[int, Any, bytes]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, response.headers, await response.read()


def titles(body: bytes) -> dict[str, str]:
    """Each event's summary -> its status."""
    return {str(e["summary"]): str(e["status"]) for e in Calendar.from_ical(body).walk("VEVENT")}


async def test_a_feed_carries_validators_and_an_unchanged_one_answers_304(tmp_path: Path) -> None:
    async with serving(tmp_path, FixedClock(T0)) as (app, base):
        await setup_agencies(app)
        await type_in(app, f'/event create "Forum" "4 déc. 18h" {NANTES}')
        status, headers, body = await fetch(f"{base}/all.ics")
        etag, modified = headers["ETag"], headers["Last-Modified"]
        same = await fetch(f"{base}/all.ics", **{"If-None-Match": etag})
        weak = await fetch(f"{base}/all.ics", **{"If-None-Match": f'"other", W/{etag}'})
        dated = await fetch(f"{base}/all.ics", **{"If-Modified-Since": modified})
        older = http_date(T0 - timedelta(seconds=1))
        stale_date = await fetch(f"{base}/all.ics", **{"If-Modified-Since": older})
        # If-None-Match decides alone when both are sent
        other_tag = await fetch(
            f"{base}/all.ics", **{"If-None-Match": '"other"', "If-Modified-Since": modified}
        )

    assert status == 200 and titles(body) == {"Forum": "CONFIRMED"}
    assert etag.startswith('"') and not etag.startswith("W/")  # a strong entity tag
    assert modified == "Thu, 26 Nov 2026 09:00:00 GMT"  # when the event was created
    assert headers["Cache-Control"] == "public, max-age=60"
    assert (same[0], same[2]) == (304, b"") and same[1]["ETag"] == etag
    assert (weak[0], dated[0]) == (304, 304)
    assert (stale_date[0], other_tag[0]) == (200, 200)
    assert stale_date[2] == body


async def test_an_edit_or_a_cancellation_made_by_command_changes_the_feed(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    async with serving(tmp_path, clock) as (app, base):
        ids = await setup_agencies(app)
        number = event_id(await type_in(app, f'/event create "Forum" "4 déc. 18h" {NANTES}'))
        await type_in(app, f'/event create "Atelier" "5 déc. 10h" {RENNES}')
        _, first, _ = await fetch(f"{base}/all.ics")
        _, rennes, _ = await fetch(f"{base}/agency/{ids['rennes']}.ics")
        clock.set(T0 + timedelta(hours=1))
        await type_in(app, f'/event edit {number} title:"Forum des TPE"')
        edited = await fetch(f"{base}/all.ics", **{"If-None-Match": first["ETag"]})
        by_date = await fetch(f"{base}/all.ics", **{"If-Modified-Since": first["Last-Modified"]})
        # Rennes' feed did not change: its tag still matches, though the data's version moved
        untouched = await fetch(
            f"{base}/agency/{ids['rennes']}.ics", **{"If-None-Match": rennes["ETag"]}
        )
        await type_in(app, f"/event cancel {number}")
        cancelled = await fetch(f"{base}/all.ics", **{"If-None-Match": edited[1]["ETag"]})

    assert edited[0] == 200 and titles(edited[2])["Forum des TPE"] == "CONFIRMED"
    assert edited[1]["ETag"] != first["ETag"]
    assert edited[1]["Last-Modified"] == "Thu, 26 Nov 2026 10:00:00 GMT"
    assert by_date[0] == 200
    assert untouched[0] == 304
    assert cancelled[0] == 200 and titles(cancelled[2])["Forum des TPE"] == "CANCELLED"


@pytest.mark.parametrize("kind", DATABASES)
async def test_a_change_made_by_another_process_reaches_the_feed(tmp_path: Path, kind: str) -> None:
    """Two bots on one database: the one serving feeds sees the other's edits at once."""
    async with database_url(kind, tmp_path) as url:
        other_config = make_config(tmp_path / "other")
        other_config = replace(other_config, bot=replace(other_config.bot, database_url=url))
        async with (
            serving(tmp_path, FixedClock(T0), url) as (app, base),
            make_app(other_config, clock=FixedClock(T0), start_scheduler=False) as other,
        ):
            await setup_agencies(app)
            number = event_id(await type_in(app, f'/event create "Forum" "4 déc. 18h" {NANTES}'))
            _, first, body = await fetch(f"{base}/all.ics")
            await type_in(other, f'/event edit {number} title:"Forum des TPE"')
            edited = await fetch(f"{base}/all.ics", **{"If-None-Match": first["ETag"]})
            await type_in(other, f"/event cancel {number}")
            cancelled = await fetch(f"{base}/all.ics", **{"If-None-Match": edited[1]["ETag"]})
            builds = app.services.get(FeedCache).builds

    assert titles(body) == {"Forum": "CONFIRMED"}
    assert edited[0] == 200 and titles(edited[2]) == {"Forum des TPE": "CONFIRMED"}
    assert cancelled[0] == 200 and titles(cancelled[2]) == {"Forum des TPE": "CANCELLED"}
    assert builds == 3  # one per version of the data, however many requests


def hold_until(path: str) -> int:
    """Run in the worker process: keep it busy until `path` exists (at most 20 s)."""
    deadline = time.monotonic() + 20
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    return os.getpid()


async def test_concurrent_requests_share_one_build_made_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker process is held busy; meanwhile twenty requests wait for one build of the
    big feed, and the event loop still answers other requests and commands."""
    async with serving(tmp_path, FixedClock(T0)) as (app, base):
        await setup_agencies(app)
        for day in range(1, 21):
            await type_in(app, f'/event create "Réunion {day}" "{day}/12 18h" {NANTES}')
        cache = app.services.get(FeedCache)
        asked = 0
        get = cache.get

        async def counted(*args: Any) -> Any:
            nonlocal asked
            asked += 1
            return await get(*args)

        monkeypatch.setattr(cache, "get", counted)
        gate = tmp_path / "go"
        held = asyncio.ensure_future(workers.offload(hold_until, str(gate)))
        requests = [asyncio.create_task(fetch(f"{base}/all.ics")) for _ in range(20)]
        while asked < 20:
            await asyncio.sleep(0.01)
        missing = await fetch(f"{base}/event/999.ics")  # no calendar to write: answered now
        shown = await type_in(app, "/event show 1")
        waiting = sum(not r.done() for r in requests)
        gate.touch()
        answers = await asyncio.gather(*requests)
        worker_pid = await held

    assert missing[0] == 404 and "Réunion 1" in shown.message.plain_text()
    assert waiting == 20  # the feed waits for the worker, not for the loop
    assert worker_pid != os.getpid()
    assert {status for status, _, _ in answers} == {200}
    assert len({body for _, _, body in answers}) == 1 and len(titles(answers[0][2])) == 20
    assert cache.builds == 1


async def test_an_agency_created_after_a_miss_gets_its_feed(tmp_path: Path) -> None:
    """Answers are kept per version of the data, a 404 too: a new agency changes the version."""
    async with serving(tmp_path, FixedClock(T0)) as (app, base):
        ids = await setup_agencies(app)
        next_id = max(ids.values()) + 1
        before = await fetch(f"{base}/agency/{next_id}.ics")
        agency, _ = await app.services.agencies.add("Brest métropole", "Bretagne", T0)
        after = await fetch(f"{base}/agency/{next_id}.ics")

    assert agency.id == next_id
    assert before[0] == 404 and after[0] == 200
    assert Calendar.from_ical(after[2])["X-WR-CALNAME"] == "Brest métropole"


async def test_feeds_drop_events_a_day_at_a_time(tmp_path: Path) -> None:
    """Nothing changed in the database, but the day turned: the feed is built again, without
    the events finished more than 30 days before that day."""
    clock = FixedClock(T0)
    async with serving(tmp_path, clock) as (app, base):
        await setup_agencies(app)
        await type_in(app, f'/event create "Forum" "4 déc. 18h" duration:2h {NANTES}')
        await type_in(app, f'/event create "Atelier" "10 déc. 18h" {NANTES}')
        clock.set(T0.replace(year=2027, month=1, day=3, hour=23, minute=59))
        _, kept, body = await fetch(f"{base}/all.ics")
        clock.set(T0.replace(year=2027, month=1, day=4, hour=0, minute=1))
        after = await fetch(f"{base}/all.ics", **{"If-None-Match": kept["ETag"]})

    assert set(titles(body)) == {"Forum", "Atelier"}  # kept from Dec. 4th, 0:00 UTC: Forum too
    assert after[0] == 200 and set(titles(after[2])) == {"Atelier"}
    assert after[1]["Last-Modified"] == "Mon, 04 Jan 2027 00:00:00 GMT"

"""Events: `event list` and `event rsvp` latency with 10,000 events and 100,000 RSVPs.

Both go through the dispatcher (parse, role, throttle, handler, reply) on a file SQLite
database, as a chat user. The issue's targets: p99 under 10 ms for list and RSVP.
Run from the repo root: `python bench/events.py [--quick]`.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from measure import peak_rss_mib, percentile, report

from bot.app import BotApp
from bot.clock import FixedClock
from bot.config import parse_config
from bot.identity import Caller, ChannelRef, Place
from bot.storage.members import members
from commands.events.calendar import calendar_bytes
from commands.events.feedcache import ALL, feed_events, feed_since
from commands.events.store.tables import GOING, MAYBE, NOT_GOING, event_rsvps, event_tags, events
from fedbot.assembly import make_app
from fedbot.cli import run_async

TAGS = [
    "numerique",
    "tpe",
    "export",
    "industrie",
    "innovation",
    "hackathon",
    "mooc",
    "tiers-lieux",
    "rh",
    "financement",
    "ess",
    "tourisme",
]
PLACE = Place(ChannelRef("slack", "T1", "C1"))


async def populate(app: BotApp, n_events: int, n_rsvps: int, rng: random.Random) -> None:
    """Bulk rows straight into the tables (the commands would take minutes to build this)."""
    now = app.clock.now()
    agency_ids = []
    for i in range(80):
        agency, _ = await app.services.agencies.add(f"Agence {i}", f"Région {i % 13}", now)
        channel = ChannelRef("slack", "T1", f"C{i}")
        await app.services.agencies.attach_channel(agency.id, channel, (), now)
        agency_ids.append(agency.id)
    n_members = max(1, n_rsvps // 20)
    people = [
        {"platform": "slack", "workspace": "T1", "user_id": f"M{i}",
         "display_name": f"Membre {i}", "locale": "fr", "created_at": now}
        for i in range(n_members)
    ]  # fmt: skip
    rows, tag_rows = event_rows(n_events, agency_ids, now, rng)
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < n_rsvps:
        pairs.add((rng.randrange(1, n_events + 1), rng.randrange(1, n_members + 1)))
    answers = [GOING] * 7 + [MAYBE] * 2 + [NOT_GOING]
    rsvps = [
        {"event_id": e, "member_id": m, "status": rng.choice(answers), "answered_at": now}
        for e, m in pairs
    ]
    async with app.db.write() as conn:
        for table, values in ((members, people), (events, rows), (event_tags, tag_rows)):
            await conn.execute(table.insert(), values)
        await conn.execute(event_rsvps.insert(), rsvps)


def event_rows(
    n: int, agency_ids: list[int], now: datetime, rng: random.Random
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Events over the next year, two tags each, one in five with a capacity."""
    rows, tag_rows = [], []
    for i in range(1, n + 1):
        start = now + timedelta(minutes=rng.randrange(60, 365 * 24 * 60))
        tags = rng.sample(TAGS, 2)
        end = start + timedelta(hours=2)
        rows.append(
            {"id": i, "uid": f"bench-{i}@fedbot", "title": f"Événement {i}",
             "agency_id": rng.choice(agency_ids), "tags": ",".join(tags),
             "capacity": None if i % 5 else 500, "starts_at": start, "ends_at": end,
             "finishes_at": end, "created_at": now, "updated_at": now}
        )  # fmt: skip
        tag_rows += [{"event_id": i, "tag": tag} for tag in tags]
    return rows, tag_rows


async def timed(app: BotApp, lines: list[tuple[Caller, str]]) -> list[float]:
    handle = app.dispatcher.handle_text
    samples = []
    for caller, line in lines:
        t0 = time.perf_counter()
        reply = await handle(caller, PLACE, line)
        samples.append(time.perf_counter() - t0)
        assert reply is not None and not reply.is_error, reply and reply.message.text
    return samples


FILTERS = ["", "tag:numerique", 'region:"Région 3"', "tag:export page:3", 'agency:"Agence 7"']


def rsvp_lines(
    rng: random.Random, n: int, n_events: int, n_members: int, *, new: bool
) -> list[tuple[Caller, str]]:
    """Answers by members of the population (steady state) or by people answering for the
    first time (their member row is created on the way)."""
    lines = []
    for i in range(n):
        member = f"N{i}" if new else f"M{rng.randrange(n_members)}"
        name = f"Nouveau {i}" if new else f"Membre {member[1:]}"
        answer = rng.choice(["going", "going", "maybe", "no"])
        line = f"/event rsvp {rng.randrange(1, n_events + 1)} {answer}"
        lines.append((Caller("slack", "T1", member, name, "fr"), line))
    return lines


def latency_rows(name: str, samples: list[float]) -> list[tuple[str, str, str, bool]]:
    p50, p99 = percentile(samples, 50) * 1e3, percentile(samples, 99) * 1e3
    return [
        (f"{name}: p50", f"{p50:.2f} ms", "", True),
        (f"{name}: p99", f"{p99:.2f} ms", "< 10 ms", p99 < 10),
    ]


async def run(quick: bool) -> list[tuple[str, str, str, bool]]:
    n_events, n_rsvps = (2_000, 20_000) if quick else (10_000, 100_000)
    n_samples = 300 if quick else 3_000
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        config = parse_config(
            {
                "federation": {"slack_teams": ["T1"]},
                "throttle": {"burst": 10**9, "rate_per_minute": 10**9},
            },
            {},
        )
        config = replace(config, bot=replace(config.bot, database_url=url))
        clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
        async with make_app(config, clock=clock, start_scheduler=False) as app:
            t0 = time.perf_counter()
            await populate(app, n_events, n_rsvps, rng)
            setup = time.perf_counter() - t0
            reader = Caller("slack", "T1", "reader", "Reader", "fr")
            await timed(app, [(reader, f"/event list {f}") for f in FILTERS * 20])  # warm-up
            lists = [(reader, f"/event list {FILTERS[i % len(FILTERS)]}") for i in range(n_samples)]
            list_s = await timed(app, lists)
            n_members = n_rsvps // 20
            rsvp_s = await timed(app, rsvp_lines(rng, n_samples, n_events, n_members, new=False))
            first_s = await timed(app, rsvp_lines(rng, n_samples // 3, n_events, 0, new=True))
            t0 = time.perf_counter()
            feed = await feed_events(app.services, ALL, feed_since(clock.now()))
            calendar_bytes(feed, "all", "Europe/Paris")
            ics_s = time.perf_counter() - t0
    return [
        (f"setup: {n_events:,} events, {n_rsvps:,} RSVPs", f"{setup:.1f} s", "", True),
        *latency_rows("event list", list_s),
        *latency_rows("event rsvp (member)", rsvp_s),
        *latency_rows("event rsvp (first answer)", first_s),
        (f"ics feed ({len(feed)} events)", f"{ics_s * 1e3:.0f} ms", "", True),
        ("peak RSS", f"{peak_rss_mib():.0f} MiB", "", True),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    report(run_async(run(parser.parse_args().quick)))  # the bot's own loop (uvloop)

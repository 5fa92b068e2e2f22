"""Public endpoints can't starve the bot: 50 concurrent GETs of `/calendar/all.ics` (600 events)
while Slack's signed slash commands arrive at `/slack/events` on the same server.

One bot process (the Slack adapter in HTTP mode, the fake Slack of the tests for the Web API,
SQLite, and PostgreSQL too when $FEDBOT_TEST_POSTGRES_URL is set). The load comes from two other
processes (bench/loadgen.py): one sends a `/ping` every 10 ms and times each ack, the other
plays the feed storm: cold cache (the first requests after start), warm, then with
If-None-Match (304). Inside the bot, a heartbeat task measures how late the event loop runs.

Printed per database: feed throughput and p50/p99 latency, Slack ack p50/p99/max idle and
during each storm, the loop's longest stall, peak RSS; beside the issue's target: a Slack ack
delayed by less than 100 ms by 50 concurrent feed GETs (worst ack during the storm minus the
idle median).

Run from the repo root: `python bench/public_web.py [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from loadgen import Load, start_load
from measure import peak_rss_mib, percentile, report

from adapters.slack.adapter import SlackAdapter
from bot.app import BotApp
from bot.config import parse_config
from commands.events.feedcache import FeedCache
from commands.events.store.events import EventFields, EventRepo
from fedbot.assembly import make_app
from fedbot.cli import run_async
from tests.fakes.slack_server import (
    DEFAULT_BOT_TOKEN,
    DEFAULT_SIGNING_SECRET,
    DEFAULT_TEAM_ID,
    DEFAULT_USER_ID,
    FakeSlack,
)
from tests.postgres import postgres_database

N_EVENTS = 600
WORKERS = 50
TARGET_MS = 100.0
TAGS = ("numerique", "export", "tpe", "industrie", "emploi")


class Heartbeat:
    """Wakes every `period` s; `worst` is the longest it woke late since `reset()`."""

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.worst = 0.0

    def reset(self) -> None:
        self.worst = 0.0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.period)
            self.worst = max(self.worst, loop.time() - start - self.period)


async def populate(app: BotApp, n: int) -> None:
    rng = random.Random(15)
    now = app.clock.now()
    ids = []
    for i in range(10):
        agency, _ = await app.services.agencies.add(f"Agence {i}", "Bretagne", now)
        ids.append(agency.id)
    repo = app.services.get(EventRepo)
    for i in range(n):
        start = now + timedelta(days=rng.randint(-20, 300), hours=rng.randint(8, 19))
        fields = EventFields(
            title=f"Rencontre n° {i} : {rng.choice(TAGS)}",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            description="Un atelier pour les entreprises du territoire. " * 3,
            place=f"{rng.randint(1, 90)} rue de la République, Rennes",
            agency_id=rng.choice(ids),
            tags=tuple(rng.sample(TAGS, 2)),
            capacity=rng.choice((None, 20, 40)),
        )
        await repo.create([fields], None, now)


@asynccontextmanager
async def bot(fake: FakeSlack, url: str) -> AsyncIterator[BotApp]:
    raw = {
        "slack": {"mode": "http", "api_base_url": fake.api_url},
        "federation": {"slack_teams": [DEFAULT_TEAM_ID]},
        # each storm worker is a client of its own behind a trusted proxy, as on a real server
        "http": {"enabled": True, "port": 0, "trusted_proxies": ["127.0.0.1"]},
        "throttle": {"burst": 10**9, "rate_per_minute": 10**9},
    }
    env = {"SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN, "SLACK_SIGNING_SECRET": DEFAULT_SIGNING_SECRET}
    config = parse_config(raw, env)
    config = replace(config, bot=replace(config.bot, database_url=url))
    async with make_app(config, start_scheduler=False) as app:
        await populate(app, N_EVENTS)
        slack = SlackAdapter(app)
        await slack.start()
        await app.web.start()
        try:
            yield app
        finally:
            await slack.stop()


async def acks_during(
    app: BotApp, beat: Heartbeat, load: dict[str, Any] | None, idle: float
) -> tuple[dict[str, Any] | None, list[float], float]:
    """The storm's figures, the Slack acks sent during it (or during `idle` s without one),
    and the loop's worst lateness meanwhile."""
    spec = {
        "kind": "acks",
        "url": f"{app.web.base_url}/slack/events",
        "secret": DEFAULT_SIGNING_SECRET,
        "command": "/ping",
        "user": DEFAULT_USER_ID,
        "team": DEFAULT_TEAM_ID,
        "every": 0.01,
    }
    sender: Load = await start_load(spec)
    await sender.ready()
    storm = None
    if load is not None:
        feeds = await start_load(load)
        await feeds.ready()  # started and connected: the window opens with the first GET
        beat.reset()
        await feeds.tell()
        storm = await feeds.result()
        window = storm["window"]
    else:
        beat.reset()
        window = [time.time(), time.time() + idle]
        await asyncio.sleep(idle)
    stall = beat.worst
    await sender.tell()
    acked = await sender.result()
    assert acked["statuses"] == [200], acked["statuses"]
    during = [lat for at, lat in acked["acks"] if window[0] <= at <= window[1]]
    return storm, during, stall


async def measure(label: str, url: str, quick: bool) -> list[tuple[str, str, str, bool]]:
    rounds = 3 if quick else 10  # GETs per client in a row: a storm long enough to see acks
    async with FakeSlack() as fake:
        fake.add_user(DEFAULT_USER_ID, display_name="Alice", locale="fr-FR")
        async with bot(fake, url) as app:
            beat = Heartbeat()
            ticking = asyncio.create_task(beat.run())
            feed = f"{app.web.base_url}/calendar/all.ics"
            _, idle, idle_stall = await acks_during(app, beat, None, 1.0 if quick else 3.0)
            rows = [
                row(f"{label}: Slack ack idle p50 / p99 / max", ms3(idle), "", True),
                row(f"{label}: loop's longest stall, idle", f"{idle_stall * 1e3:.1f} ms", "", True),
            ]
            phases = (("cold", None, 1), ("warm", None, rounds), ("304", "etag", 2 * rounds))
            for phase, etag, n in phases:
                if etag:
                    async with aiohttp.ClientSession() as http, http.get(feed) as resp:
                        etag = resp.headers["ETag"]
                spec = {"kind": "feeds", "url": feed, "workers": WORKERS, "rounds": n}
                spec["etag"] = etag
                storm, acked, stall = await acks_during(app, beat, spec, 0)
                rows += storm_rows(label, phase, storm, acked, stall, percentile(idle, 50))
            rows.append(
                row(f"{label}: feeds built", str(app.services.get(FeedCache).builds), "1", True)
            )
            ticking.cancel()
            with suppress(asyncio.CancelledError):
                await ticking
    return rows


def storm_rows(
    label: str, phase: str, storm: dict[str, Any], acked: list[float], stall: float, idle: float
) -> list[tuple[str, str, str, bool]]:
    n = sum(storm["statuses"].values())
    expected = 304 if phase == "304" else 200
    assert storm["statuses"] == {str(expected): n}, storm["statuses"]
    kib = max(storm["sizes"]) / 1024
    assert acked, "no Slack ack fell within the storm"
    delay = max(acked) - idle
    name = f"{label}: {phase} storm"
    return [
        row(f"{name}: {n} GETs ({kib:.0f} KiB)", f"{n / storm['seconds']:.0f} GET/s", "", True),
        row(f"{name}: feed p50 / p99", ms2(storm["latencies"]), "", True),
        row(f"{name}: Slack ack p50 / p99 / max ({len(acked)})", ms3(acked), "", True),
        row(f"{name}: worst ack delay added", f"{delay * 1e3:.1f} ms", "< 100 ms", delay < 0.1),
        row(f"{name}: loop's longest stall", f"{stall * 1e3:.1f} ms", "< 100 ms", stall < 0.1),
    ]


def row(name: str, figure: str, target: str, ok: bool) -> tuple[str, str, str, bool]:
    return (name, figure, target, ok)


def ms2(samples: list[float]) -> str:
    return f"{percentile(samples, 50) * 1e3:.0f} / {percentile(samples, 99) * 1e3:.0f} ms"


def ms3(samples: list[float]) -> str:
    p50, p99, top = percentile(samples, 50), percentile(samples, 99), max(samples)
    return f"{p50 * 1e3:.1f} / {p99 * 1e3:.1f} / {top * 1e3:.0f} ms"


async def main(quick: bool) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += await measure("SQLite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", quick)
    if pg := os.environ.get("FEDBOT_TEST_POSTGRES_URL"):
        async with postgres_database(pg) as url:
            rows += await measure("PostgreSQL", url, quick)
    rows.append(row("peak RSS (the bot's process)", f"{peak_rss_mib():.0f} MiB", "", True))
    report(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    run_async(main(parser.parse_args().quick))  # the bot's own loop (uvloop)

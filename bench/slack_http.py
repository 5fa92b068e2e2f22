"""Our Slack HTTP path against bare slack-bolt, in the same run: what fedbot adds to a slash
command, beside the issue's target (at most 1.25× bare bolt).

Every server runs in this process, the load comes from another one (bench/loadgen.py): signed
slash commands exactly as Slack signs and form-encodes them, 20 in flight, from 20 users (each
user's name and language looked up once, before the measure); 2,000 per target, sent in 5
rounds that visit every target in turn, so that a busy moment of the machine hits them all.

- bare bolt: an `AsyncApp` (`process_before_response=True`, as fedbot runs it) whose command
  listener only acks, served by bolt's own aiohttp app;
- fedbot: the real Slack adapter in HTTP mode (signature check, replay guard in the database,
  the core's dispatch) answering `/ping`, `/help` (the help card, no database) and
  `/event list` (reads the database: 200 upcoming events), each reply carried by the ack.

Printed for each: requests/s and p50/p99 as the client sees them, and the CPU time this
process spent per command (every thread: the event loop, the database driver's); then our
cost per command and our time per command (1 / throughput) against bare bolt. SQLite, and
PostgreSQL too when $FEDBOT_TEST_POSTGRES_URL is set. The fake Slack of the tests answers the
Web API (auth.test, users.info); nothing leaves the machine.

Run from the repo root: `python bench/slack_http.py [--quick]`.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from loadgen import run_load
from measure import peak_rss_mib, percentile, report
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.adapter import SlackAdapter
from bot.app import BotApp
from bot.config import parse_config
from commands.events.store.events import EventFields, EventRepo
from fedbot.assembly import make_app
from fedbot.cli import run_async
from tests.fakes.slack_server import (
    DEFAULT_BOT_TOKEN,
    DEFAULT_SIGNING_SECRET,
    DEFAULT_TEAM_ID,
    FakeSlack,
)
from tests.postgres import postgres_database

USERS = [f"U0BENCH{i:03d}" for i in range(20)]
CONCURRENCY = 20
TARGET = 1.25


def load(
    url: str,
    lines: list[tuple[str, str]],
    n: int,
    users: list[str] = USERS,
    concurrency: int = CONCURRENCY,
) -> dict[str, Any]:
    """`n` signed slash commands cycling through `lines` (command, text) and `users`."""
    commands = [[*lines[i % len(lines)], users[i % len(users)]] for i in range(n)]
    return {
        "kind": "commands",
        "url": f"{url}/slack/events",
        "secret": DEFAULT_SIGNING_SECRET,
        "team": DEFAULT_TEAM_ID,
        "commands": commands,
        "concurrency": concurrency,
    }


@dataclass
class Target:
    """One server and command; its rounds' figures add up."""

    name: str
    url: str
    command: str
    text: str = ""
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0  # this process's CPU time (every thread) while serving

    async def warm(self) -> None:
        await run_load(load(self.url, [(self.command, self.text)], len(USERS) * 2))

    async def round(self, n: int) -> None:
        cpu = time.process_time()
        figures = await run_load(load(self.url, [(self.command, self.text)], n))
        self.cpu += time.process_time() - cpu
        assert figures["statuses"] == {"200": n}, (self.name, figures["statuses"])
        self.latencies += figures["latencies"]
        self.seconds += figures["seconds"]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu / len(self.latencies) * 1e3


@asynccontextmanager
async def bare_bolt(fake: FakeSlack) -> AsyncIterator[str]:
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=fake.api_url)
    bolt = AsyncApp(
        client=client,
        signing_secret=DEFAULT_SIGNING_SECRET,
        process_before_response=True,
        name="bench",
    )

    @bolt.command(re.compile(r"^/"))
    async def only_ack(ack: Any) -> None:
        await ack()

    runner = web.AppRunner(bolt.web_app(), access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        await runner.cleanup()


async def upcoming_events(app: BotApp) -> None:
    """200 upcoming events, what `/event list` reads."""
    repo, now = app.services.get(EventRepo), app.clock.now()
    for i in range(200):
        start = now + timedelta(days=1 + i, hours=10)
        await repo.create([EventFields(f"Atelier {i}", start)], None, now)


@asynccontextmanager
async def fedbot(
    fake: FakeSlack, url: str, seed: Callable[[BotApp], Awaitable[None]] = upcoming_events
) -> AsyncIterator[BotApp]:
    """The real Slack adapter in HTTP mode on database `url`, seeded; serves at
    `app.web.base_url`."""
    raw = {
        "slack": {"mode": "http", "api_base_url": fake.api_url},
        "federation": {"slack_teams": [DEFAULT_TEAM_ID]},
        "http": {"port": 0},
        # the throttle's own cost stays in the path; 2,000 commands in seconds would trip it
        "throttle": {"burst": 10**9, "rate_per_minute": 10**9},
    }
    env = {"SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN, "SLACK_SIGNING_SECRET": DEFAULT_SIGNING_SECRET}
    config = parse_config(raw, env)
    config = replace(config, bot=replace(config.bot, database_url=url))
    async with make_app(config, start_scheduler=False) as app:
        await seed(app)
        slack = SlackAdapter(app)
        await slack.start()  # it starts the HTTP server: [http] is not enabled
        try:
            yield app
        finally:
            await slack.stop()


def rows_for(target: Target, bare: Target | None) -> list[tuple[str, str, str, bool]]:
    p50, p99 = (percentile(target.latencies, q) * 1e3 for q in (50, 99))
    name = target.name
    rows = [
        (f"{name}: {len(target.latencies)} commands", f"{target.rate:,.0f} req/s", "", True),
        (f"{name}: p50 / p99", f"{p50:.1f} / {p99:.1f} ms", "", True),
        (f"{name}: CPU per command", f"{target.cpu_ms:.2f} ms", "", True),
    ]
    if bare is not None:
        cost = target.cpu_ms / bare.cpu_ms
        rows.append(
            (f"{name}: CPU per command vs bare bolt", f"{cost:.2f}×", "≤ 1.25×", cost <= TARGET)
        )
        slower = bare.rate / target.rate
        rows.append(
            (
                f"{name}: time per command vs bare bolt",
                f"{slower:.2f}×",
                "≤ 1.25×",
                slower <= TARGET,
            )
        )
    return rows


async def main(quick: bool) -> None:
    n, rounds = (300, 3) if quick else (2000, 5)
    async with AsyncExitStack() as stack:
        fake = await stack.enter_async_context(FakeSlack())
        for user in USERS:
            fake.add_user(user, display_name=user.lower(), locale="fr-FR")
        bare = Target(
            "bare bolt, ack only", await stack.enter_async_context(bare_bolt(fake)), "/ping"
        )
        targets = [bare]
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        databases = [("SQLite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")]
        if pg := os.environ.get("FEDBOT_TEST_POSTGRES_URL"):
            databases.append(("PostgreSQL", pg))
        for label, url in databases:
            app = await stack.enter_async_context(
                fedbot(fake, await stack.enter_async_context(_database(url)))
            )
            base = app.web.base_url
            for command, text in (("/ping", ""), ("/help", ""), ("/event", "list")):
                name = f"fedbot {command} {text}".rstrip() + f" ({label})"
                targets.append(Target(name, base, command, text))
        for target in targets:
            await target.warm()
        for _ in range(rounds):  # interleaved: a busy moment of the machine hits every target
            for target in targets:
                await target.round(n // rounds)
    rows = rows_for(bare, None)
    for target in targets[1:]:
        rows += rows_for(target, bare)
    rows.append(("peak RSS (this process)", f"{peak_rss_mib():.0f} MiB", "", True))
    report(rows)


@asynccontextmanager
async def _database(url: str) -> AsyncIterator[str]:
    """SQLite as given; PostgreSQL: a fresh database on that server, dropped after."""
    if url.startswith("sqlite"):
        yield url
        return
    async with postgres_database(url) as fresh:
        yield fresh


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    run_async(main(parser.parse_args().quick))  # the bot's own loop (uvloop)

"""How fast a Slack slash command is acked: bolt's default runner vs the adapter's strategy.

Three figures, each the HTTP round trip of a signed `/ping` on loopback (tests.fakes.slack_server
plays Slack; nothing leaves the machine):

- bolt with `process_before_response=False` (its default), the listener acking at once;
- bolt with `process_before_response=True`, the listener acking at once;
- the fedbot Slack adapter (the second strategy, acking with the core's reply), end to end
  through the real dispatcher.

Run from the repo root: `python bench/slack_ack.py [--quick]`.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web
from measure import percentile, report
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.adapter import SlackAdapter
from bot.config import parse_config
from fedbot.assembly import make_app
from fedbot.cli import run_async
from tests.fakes.slack_server import (
    DEFAULT_BOT_TOKEN,
    DEFAULT_SIGNING_SECRET,
    DEFAULT_TEAM_ID,
    DEFAULT_USER_ID,
    FakeSlack,
    SlackRequestSender,
)


async def round_trips(url: str, count: int, command: str) -> list[float]:
    sender = SlackRequestSender(url, DEFAULT_SIGNING_SECRET)
    for _ in range(10):  # warm up (bolt's auth.test, users.info cache)
        await sender.slash_command(command=command)
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        response = await sender.slash_command(command=command)
        samples.append(time.perf_counter() - start)
        assert response.status == 200, response
    return samples


async def bare_bolt(fake: FakeSlack, process_before_response: bool, count: int) -> list[float]:
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=fake.api_url)
    bolt = AsyncApp(
        client=client,
        signing_secret=DEFAULT_SIGNING_SECRET,
        process_before_response=process_before_response,
        name="bench",
    )

    @bolt.command("/ping")
    async def ping(ack: Any) -> None:
        await ack({"response_type": "ephemeral", "text": "pong"})

    runner = web.AppRunner(bolt.web_app(), access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    try:
        return await round_trips(f"http://127.0.0.1:{sock.getsockname()[1]}", count, "/ping")
    finally:
        await runner.cleanup()


async def adapter(fake: FakeSlack, count: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        raw = {
            "slack": {"mode": "http", "api_base_url": fake.api_url},
            "federation": {"slack_teams": [DEFAULT_TEAM_ID]},
            "http": {"port": 0},
            "throttle": {"enabled": False},
        }
        env = {"SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN, "SLACK_SIGNING_SECRET": DEFAULT_SIGNING_SECRET}
        config = parse_config(raw, env)
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        config = replace(config, bot=replace(config.bot, database_url=url))
        async with make_app(config, start_scheduler=False) as app:
            slack = SlackAdapter(app)
            await slack.start()
            try:
                return await round_trips(app.web.base_url, count, "/ping")
            finally:
                await slack.stop()


async def main(quick: bool) -> None:
    count = 50 if quick else 500
    async with FakeSlack() as fake:
        fake.add_user(DEFAULT_USER_ID, display_name="Alice", locale="fr-FR")
        default = await bare_bolt(fake, False, count)
        before = await bare_bolt(fake, True, count)
        ours = await adapter(fake, count)
    ms = 1e3
    report(
        [
            ("bolt default runner: p50", f"{percentile(default, 50) * ms:.1f} ms", "", True),
            (
                "bolt process_before_response: p50",
                f"{percentile(before, 50) * ms:.1f} ms",
                "",
                True,
            ),
            ("fedbot /ping (reply in ack): p50", f"{percentile(ours, 50) * ms:.1f} ms", "", True),
            (
                "fedbot /ping: p99",
                f"{percentile(ours, 99) * ms:.1f} ms",
                "< 3000 ms",
                percentile(ours, 99) * ms < 3000,
            ),
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    run_async(main(parser.parse_args().quick))  # the bot's own loop (uvloop)

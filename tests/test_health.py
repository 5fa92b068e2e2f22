"""`/healthz`, `/readyz` and `/metrics`, as an operator's probe and Prometheus see them: over
HTTP, from the bot's own web server, with real adapters talking to the fake platforms."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import BotApp
from bot.clock import FixedClock
from bot.health import Health
from bot.identity import Caller, ChannelRef, Place
from bot.messages import Message, Reply
from bot.metrics import Metrics
from bot.spec import CommandSpec, L10n, Role
from bot.storage.database import Database
from commands.announce.delivery import courier_for, run_due
from fedbot.assembly import make_app, migration_dirs
from tests.announce_support import Recorder, add_agencies, send_and_confirm
from tests.conftest import T0, make_config
from tests.discord_harness import GENERAL, fake_discord, running_bot
from tests.fakes.slack_server import (
    DEFAULT_APP_TOKEN,
    DEFAULT_CHANNEL_ID,
    DEFAULT_TEAM_ID,
    FakeSlack,
)
from tests.slack_harness import slack_bot

PLACE = Place(ChannelRef("console", "local", "general"))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.text()


@asynccontextmanager
async def _serving(tmp_path: Path, raw: dict[str, Any] | None = None) -> AsyncIterator[BotApp]:
    """A started app (no platform: the console's case) whose web server is up."""
    config = make_config(tmp_path, {"http": {"enabled": True, "port": 0}, **(raw or {})})
    async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
        await app.web.start()
        yield app


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the exposition, or None when it is absent."""
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(3))
    return None


async def test_without_any_adapter_the_bot_is_alive_and_ready(tmp_path: Path) -> None:
    async with _serving(tmp_path) as app:
        base = app.web.base_url
        status, kind, body = await _get(f"{base}/healthz")
        assert (status, kind, body) == (200, "application/json; charset=utf-8", '{"status": "ok"}')
        status, _, body = await _get(f"{base}/readyz")
    assert status == 200
    assert '"database": "ok"' in body and '"migrations": "ok"' in body


async def test_an_unreachable_database_makes_the_bot_not_ready(tmp_path: Path) -> None:
    db = Database.open(f"postgresql+asyncpg://fedbot@127.0.0.1:{_closed_port()}/fedbot")
    health = Health(db, Metrics(), timeout=2.0)
    checks = await health.checks()
    await db.engine.dispose()  # never connected: nothing to checkpoint
    assert checks["database"].startswith("unreachable")
    assert checks["migrations"] == "unknown: database unreachable"


async def test_a_database_behind_the_code_is_not_ready(tmp_path: Path) -> None:
    db = Database.open(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}", migration_dirs())
    try:
        response = await Health(db, Metrics())._readyz({})
    finally:
        await db.close()
    assert response.status == 503
    assert b'"failing": ["migrations"]' in response.body
    assert b"not at head: none (expected " in response.body


async def test_readiness_follows_the_slack_socket_connection(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        socket_mode = {"mode": "socket"}
        env = {"SLACK_APP_TOKEN": DEFAULT_APP_TOKEN, "SLACK_SIGNING_SECRET": ""}
        http = {"enabled": True}
        async with slack_bot(tmp_path, fake, slack=socket_mode, env=env, http=http) as bot:
            app = bot.app
            app.health.watch("slack", bot.adapter.ready)
            await fake.socket_wait_connected()
            await app.web.start()
            status, _, body = await _get(f"{app.web.base_url}/readyz")
            assert status == 200 and '"slack": "ok"' in body
            await bot.adapter.stop()
            status, _, body = await _get(f"{app.web.base_url}/readyz")
    assert status == 503
    assert '"slack": "not connected"' in body and '"failing": ["slack"]' in body


async def test_readiness_follows_the_discord_gateway(tmp_path: Path) -> None:
    async with fake_discord() as fake, running_bot(tmp_path, fake) as (app, adapter):
        assert await adapter.ready()
        await adapter.stop()
        assert not await adapter.ready()


async def test_commands_are_counted_by_name_and_outcome(tmp_path: Path) -> None:
    async def broken(ctx: object) -> Reply:
        raise RuntimeError("a bug")

    stranger = Caller("slack", "T0STRANGER", "U1", "Eve", "en")
    crowd = Caller("slack", "T1", "U2", "Bob", "en")
    raw = {"throttle": {"burst": 1, "rate_per_minute": 1}}
    async with _serving(tmp_path, raw) as app:
        app.services.registry.add(CommandSpec(("explode",), L10n("b", "b"), broken))
        console = Caller("console", "local", "op", "op", "en", assumed_role=Role.ADMIN)
        dispatcher = app.dispatcher
        await dispatcher.handle_text(console, PLACE, "/help")
        await dispatcher.handle_text(console, PLACE, "/nonsense")
        failed = await dispatcher.handle_text(console, PLACE, "/explode")
        await dispatcher.handle_text(stranger, PLACE, "/help")
        await dispatcher.handle_text(crowd, PLACE, "/help")
        await dispatcher.handle_text(crowd, PLACE, "/help")  # over the burst
        await dispatcher.handle(console, PLACE, ("ping",), {})
        status, kind, text = await _get(f"{app.web.base_url}/metrics")
    assert status == 200 and kind.startswith("text/plain; version=0.0.4")
    counted = {
        ("help", "ok"): 2.0,
        ("unknown", "user_error"): 1.0,
        ("explode", "internal_error"): 1.0,
        ("unknown", "refused"): 1.0,
        ("unknown", "throttled"): 1.0,
        ("ping", "ok"): 1.0,
    }
    for (command, outcome), value in counted.items():
        found = _sample(text, "fedbot_commands_total", command=command, outcome=outcome)
        assert found == value, (command, outcome, found)
    assert _sample(text, "fedbot_command_duration_seconds_count", command="help") == 2.0
    assert failed is not None and failed.is_error  # the member saw a reference, no traceback


async def test_sends_and_429s_are_counted_per_platform(tmp_path: Path) -> None:
    async with FakeSlack() as fake, slack_bot(tmp_path, fake) as bot:
        fake.fail_next("chat.postMessage", status=429, retry_after=1)
        channel = ChannelRef("slack", DEFAULT_TEAM_ID, DEFAULT_CHANNEL_ID)
        await bot.app.outbound.send(channel, Message(text="Bonjour"))
        text = (await bot.app.metrics.render()).decode()
    assert bot.sleep.delays == [1.0]  # waited out, then sent
    assert _sample(text, "fedbot_rate_limited_total", platform="slack") == 1.0
    assert _sample(text, "fedbot_sends_total", platform="slack", result="ok") == 1.0

    async with fake_discord() as discord, running_bot(tmp_path / "d", discord) as (app, _):
        discord.fail_next("POST channels/{channel_id}/messages", status=429, retry_after=0.05)
        channel = ChannelRef("discord", "3000000000000000001", str(GENERAL))
        await app.outbound.send(channel, Message(text="Bonjour"))
        text = (await app.metrics.render()).decode()
    assert _sample(text, "fedbot_rate_limited_total", platform="discord") == 1.0
    assert _sample(text, "fedbot_sends_total", platform="discord", result="ok") == 1.0


async def test_the_outbox_depth_is_read_at_each_scrape(tmp_path: Path) -> None:
    async with _serving(tmp_path) as app:
        await add_agencies(app, 3)
        await send_and_confirm(app, "/announce send all Bonjour à toutes les agences")
        before = (await app.metrics.render()).decode()  # no "chat" adapter yet: all queued
        app.outbound.register(Recorder(clock=app.clock))  # type: ignore[arg-type]
        await run_due(app.services, app.clock.now())
        await courier_for(app.services).drain()
        after = (await app.metrics.render()).decode()
    assert _sample(before, "fedbot_outbox_depth", outbox="announce", platform="chat") == 3.0
    assert _sample(after, "fedbot_outbox_depth", outbox="announce", platform="chat") == 0.0


async def test_scheduler_lag_and_missed_runs_are_measured(tmp_path: Path) -> None:
    async with _serving(tmp_path) as app:
        scheduler = app.services.scheduler
        scheduler.start()
        ran = []

        async def job() -> None:
            ran.append(1)

        now = datetime.now(scheduler.tz)
        scheduler.at("digest.7", now - timedelta(seconds=2), job)  # 2 s late
        scheduler.at("match.round.3", now - timedelta(minutes=10), job)  # past its 5-min grace
        for _ in range(200):
            text = (await app.metrics.render()).decode()
            if _sample(text, "fedbot_scheduler_missed_total", job="match.round"):
                if _sample(text, "fedbot_scheduler_lag_seconds_count", job="digest"):
                    break
            await asyncio.sleep(0.01)
        scheduler.shutdown()
    assert ran == [1]
    assert _sample(text, "fedbot_scheduler_lag_seconds_count", job="digest") == 1.0
    assert _sample(text, "fedbot_scheduler_lag_seconds_bucket", job="digest", le="1.0") == 0.0
    assert _sample(text, "fedbot_scheduler_missed_total", job="match.round") == 1.0


async def test_lease_takeovers_are_counted(app, clock) -> None:
    """A run claimed by a process that died is taken over once its lease lapsed: counted."""
    runs = app.services.runs
    assert await runs.claim("digest:9:2026-11-30T08:00Z", "digest", "dead:1", clock.now())
    later = clock.now() + timedelta(seconds=app.config.cluster.lease_seconds + 1)
    taken = await runs.claim("digest:9:2026-11-30T08:00Z", "digest", "p2", later)
    assert taken is not None and taken.in_doubt
    text = (await app.metrics.render()).decode()
    assert _sample(text, "fedbot_lease_takeovers_total", kind="digest") == 1.0

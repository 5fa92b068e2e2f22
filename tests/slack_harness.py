"""A real BotApp with a real SlackAdapter, talking over loopback to tests.fakes.slack_server."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.slack.adapter import SlackAdapter
from bot.app import BotApp
from bot.clock import FixedClock
from bot.spec import CommandSpec
from fedbot.assembly import make_app
from tests.conftest import T0, TEST_FEDERATION, TEST_SECRET_KEY, make_config
from tests.fakes.slack_server import (
    DEFAULT_BOT_TOKEN,
    DEFAULT_SIGNING_SECRET,
    DEFAULT_TEAM_ID,
    FakeSlack,
    SlackRequestSender,
)

ALICE = "U0ALICE01"  # French, member
BOB = "U0BOB0001"  # English, member
STAFF = "U0STAFF01"  # French, staff (granted by user id)
GOLDEN = Path(__file__).parent / "golden"


def golden(name: str, value: object) -> None:
    """Compare with tests/golden/<name>.json; FEDBOT_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / f"{name}.json"
    text = json.dumps(value, ensure_ascii=False, indent=2) + "\n"
    if os.environ.get("FEDBOT_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, "utf-8")
    assert text == path.read_text("utf-8")


class SleepRecorder:
    """The adapter's injected sleep: records the delays, waits for none of them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


@dataclass
class SlackBot:
    app: BotApp
    adapter: SlackAdapter
    http: SlackRequestSender
    sleep: SleepRecorder = field(default_factory=SleepRecorder)


def add_people(fake: FakeSlack, team_id: str = DEFAULT_TEAM_ID) -> None:
    fake.add_user(ALICE, team_id=team_id, name="alice", display_name="Alice", locale="fr-FR")
    fake.add_user(BOB, team_id=team_id, name="bob", display_name="Bob", locale="en-US")
    fake.add_user(STAFF, team_id=team_id, name="sam", display_name="Sam", locale="fr-FR")


@asynccontextmanager
async def slack_bot(
    tmp_path: Path,
    fake: FakeSlack,
    *,
    slack: dict[str, Any] | None = None,
    roles: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    specs: Iterable[CommandSpec] = (),
    http: dict[str, Any] | None = None,
    federation: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> AsyncIterator[SlackBot]:
    """HTTP mode unless `slack={"mode": "socket"}`; the web server binds a free port.
    `federation` replaces the tests' default one (the fake's team and T1); `extra` adds
    config sections (agencies, digest…)."""
    raw = {
        **(extra or {}),
        "federation": federation or TEST_FEDERATION,
        "http": {"port": 0, **(http or {})},
        "slack": {"mode": "http", "api_base_url": fake.api_url, **(slack or {})},
        "roles": roles if roles is not None else {"staff": [f"slack:{DEFAULT_TEAM_ID}:{STAFF}"]},
        "throttle": {"enabled": False},
    }
    secrets = {
        "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": DEFAULT_SIGNING_SECRET,
        "FEDBOT_SECRET_KEY": TEST_SECRET_KEY,
        **(env or {}),
    }
    config = make_config(tmp_path, raw, **{k: v for k, v in secrets.items() if v})
    async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
        for spec in specs:
            app.services.registry.add(spec)
        sleep = SleepRecorder()
        adapter = SlackAdapter(app, sleep=sleep)
        await adapter.start()
        try:
            url = app.web.base_url if app.web.port else "http://127.0.0.1:9"
            http_sender = SlackRequestSender(url, DEFAULT_SIGNING_SECRET, fake=fake)
            yield SlackBot(app, adapter, http_sender, sleep)
        finally:
            await adapter.stop()

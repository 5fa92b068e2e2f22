"""A real BotApp + DiscordAdapter against the fake Discord server, for the Discord tests.

The adapter is pointed at the fake through its own config keys (`discord.api_base_url`,
`discord.gateway_url`): the fake does not patch discord.py (`patch_discord=False`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from adapters.discord.adapter import DiscordAdapter
from bot.app import BotApp
from bot.clock import FixedClock
from bot.config import Config
from bot.registry import Registry
from fedbot.assembly import make_app
from tests.conftest import T0, make_config
from tests.fakes.discord_server import (
    DEFAULT_TOKEN,
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
)

GUILD = 3_000_000_000_000_000_001
GENERAL = 3_000_000_000_000_000_002
NEWS = 3_000_000_000_000_000_003
STAFF_ROLE = 3_000_000_000_000_000_004  # granted staff in config
ADMIN_ROLE = 3_000_000_000_000_000_005  # granted admin in config
ALICE = FakeUser(id=3_000_000_000_000_000_010, username="alice", global_name="Alice")
BOB = FakeUser(id=3_000_000_000_000_000_011, username="bob", global_name="Bob")
CAROL = FakeUser(id=3_000_000_000_000_000_012, username="carol", global_name="Carol")


def make_guild() -> FakeGuild:
    return FakeGuild(
        id=GUILD,
        name="Fédération",
        channels=[
            FakeChannel(GENERAL, "general"),
            FakeChannel(NEWS, "annonces", type=5),
        ],
        roles=[FakeRole(STAFF_ROLE, "Équipe fédérale"), FakeRole(ADMIN_ROLE, "Bureau")],
        members=[
            FakeMember(ALICE),
            FakeMember(BOB, roles=[STAFF_ROLE]),
            FakeMember(CAROL, roles=[ADMIN_ROLE]),
        ],
        preferred_locale="fr",
    )


def menu_entries(registry: Registry) -> list[str]:
    """The names of the message menu entries the adapter syncs: its message actions' English
    labels (type 3 commands, after the slash commands)."""
    return [s.message_action.label.en for s in registry.message_actions() if s.message_action]


def fake_discord() -> FakeDiscord:
    return FakeDiscord(guilds=[make_guild()], patch_discord=False)


def discord_config(
    tmp_path: Path, fake: FakeDiscord, raw: dict[str, Any] | None = None, **discord: Any
) -> Config:
    settings = {
        "api_base_url": fake.api_base,
        "gateway_url": fake.gateway_url,
        "guild_ready_timeout": 0.05,
        "ready_timeout": 5,
        **discord,
    }
    base: dict[str, Any] = {
        "discord": settings,
        "roles": {
            "staff": [f"discord:{GUILD}:{STAFF_ROLE}"],
            "admin": [f"discord:{GUILD}:{ADMIN_ROLE}"],
        },
        "throttle": {"enabled": False},
    }
    return make_config(tmp_path, {**base, **(raw or {})}, DISCORD_TOKEN=DEFAULT_TOKEN)


@asynccontextmanager
async def running_bot(
    tmp_path: Path,
    fake: FakeDiscord,
    *,
    declare: Callable[[Registry], None] | None = None,
    raw: dict[str, Any] | None = None,
    **discord: Any,
) -> AsyncIterator[tuple[BotApp, DiscordAdapter]]:
    """A started bot; `declare` adds test commands before the adapter builds its tree."""
    config = discord_config(tmp_path, fake, raw, **discord)
    async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
        if declare is not None:
            declare(app.services.registry)
        adapter = DiscordAdapter(app)
        await adapter.start()
        try:
            yield app, adapter
        finally:
            await adapter.stop()

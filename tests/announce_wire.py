"""Broadcasts over the wire: the real Slack and Discord adapters, talking over loopback to the
fake Slack and Discord servers, with agencies that own one channel on each platform.

Used by tests/test_announce_wire.py, tests/test_announce_kill.py and bench/broadcast.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.discord.adapter import DiscordAdapter
from adapters.slack.adapter import SlackAdapter
from bot.app import BotApp
from bot.clock import SystemClock
from bot.config import Config, parse_config
from bot.identity import Caller, ChannelRef, Place
from bot.messages import Reply
from fedbot.assembly import make_app
from tests.announce_fakes import DiscordLimits, PacedDiscord, PacedSlack, SlackLimits
from tests.fakes.discord_server import DEFAULT_TOKEN, FakeChannel, FakeGuild
from tests.fakes.slack_server import DEFAULT_BOT_TOKEN, DEFAULT_SIGNING_SECRET, DEFAULT_TEAM_ID

TEAM = DEFAULT_TEAM_ID
GUILD = 4_000_000_000_000_000_000
STAFF = "U0STAFF01"
STAFF_CHANNEL = "C0STAFF00"
STAFF_PLACE = Place(ChannelRef("slack", TEAM, STAFF_CHANNEL))
MARK = "Appel à projets 2027"  # in every copy's text: tells copies from other messages


def slack_id(i: int) -> str:
    return f"C{i:08d}"


def discord_id(i: int) -> int:
    return GUILD + 100 + i


@dataclass
class Network:
    """`agencies` agencies, each with a Slack and a Discord channel. The last `broken` agencies'
    channels fail for good: Slack `channel_not_found` / `not_in_channel`, Discord 404."""

    agencies: int
    broken: int = 0
    latency: float = 0.0
    slack_limits: SlackLimits | None = None
    discord_limits: DiscordLimits | None = None
    slack: PacedSlack = field(init=False)
    discord: PacedDiscord = field(init=False)

    def __post_init__(self) -> None:
        self.slack = self.make_slack()
        self.discord = self.make_discord()

    def make_slack(self) -> PacedSlack:
        fake = PacedSlack(strict_channels=True, latency=self.latency, limits=self.slack_limits)
        fake.add_user(STAFF, name="sam", display_name="Sam", locale="fr-FR")
        fake.add_channel(STAFF_CHANNEL, name="equipe")
        for i in range(self.agencies):
            if self.is_broken(i) and i % 2:
                fake.add_channel(slack_id(i), is_private=True, is_member=False)
            elif not self.is_broken(i):
                fake.add_channel(slack_id(i))
        return fake

    def make_discord(self) -> PacedDiscord:
        channels = [
            FakeChannel(discord_id(i), f"agence-{i}")
            for i in range(self.agencies)
            if not self.is_broken(i)
        ]
        guild = FakeGuild(id=GUILD, name="Fédération", channels=channels)
        return PacedDiscord(
            guilds=[guild],
            patch_discord=False,
            latency=self.latency,
            limits=self.discord_limits,
        )

    def is_broken(self, i: int) -> bool:
        return i >= self.agencies - self.broken

    @property
    def good(self) -> range:
        return range(self.agencies - self.broken)

    def slack_copies(self, i: int) -> list[dict[str, Any]]:
        return [m for m in self.slack.messages_in(slack_id(i)) if MARK in m.get("text", "")]

    def discord_copies(self, i: int) -> list[dict[str, Any]]:
        return [m for m in self.discord.messages_in(discord_id(i)) if _mentions(m, MARK)]

    def delivered(self) -> int:
        return sum(len(self.slack_copies(i)) + len(self.discord_copies(i)) for i in self.good)

    def raw_config(
        self,
        slack: dict[str, Any] | None = None,
        discord: dict[str, Any] | None = None,
        **announce: Any,
    ) -> dict[str, Any]:
        """`slack` and `discord` add to their sections (their rates), the rest to [announce]."""
        return {
            "http": {"port": 0},
            "slack": {
                "mode": "http",
                "api_base_url": self.slack.api_url,
                "max_retries": 1,
                **(slack or {}),
            },
            "discord": {
                "api_base_url": self.discord.api_base,
                "gateway_url": self.discord.gateway_url,
                "guild_ready_timeout": 0.05,
                "ready_timeout": 10,
                **(discord or {}),
            },
            "federation": {"slack_teams": [DEFAULT_TEAM_ID], "discord_guilds": [str(GUILD)]},
            "roles": {"staff": [f"slack:{DEFAULT_TEAM_ID}:{STAFF}"]},
            "throttle": {"enabled": False},
            "announce": {"retry_base": 0.2, "sweep_interval": 2, **announce},
        }

    def env(self) -> dict[str, str]:
        return {
            "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN,
            "SLACK_SIGNING_SECRET": DEFAULT_SIGNING_SECRET,
            "DISCORD_TOKEN": DEFAULT_TOKEN,
        }

    def config(self, db_url: str, **announce: Any) -> Config:
        raw = self.raw_config(**announce)
        raw["bot"] = {"database_url": db_url}
        return parse_config(raw, self.env())


def _mentions(message: dict[str, Any], text: str) -> bool:
    if text in (message.get("content") or ""):
        return True
    return any(text in (e.get("description") or "") for e in message.get("embeds") or [])


async def seed(app: BotApp, net: Network) -> None:
    now = app.clock.now()
    for i in range(net.agencies):
        agency, _ = await app.services.agencies.add(f"Agence {i:03d}", f"Région {i % 13}", now)
        for ref in (
            ChannelRef("slack", TEAM, slack_id(i)),
            ChannelRef("discord", str(GUILD), str(discord_id(i))),
        ):
            await app.services.agencies.attach_channel(agency.id, ref, (), now)


@contextlib.asynccontextmanager
async def running(tmp_path: Path, net: Network, **announce: Any) -> AsyncIterator[BotApp]:
    """A started bot with both adapters connected to the fakes."""
    config = net.config(f"sqlite+aiosqlite:///{tmp_path / 'wire.db'}", **announce)
    async with make_app(config, clock=SystemClock(), start_scheduler=False) as app:
        slack, discord = SlackAdapter(app), DiscordAdapter(app)
        await slack.start()
        await discord.start()
        try:
            yield app
        finally:
            await discord.stop()
            await slack.stop()


async def staff_says(app: BotApp, line: str) -> Reply:
    caller = Caller("slack", TEAM, STAFF, "Sam", "fr")
    reply = await app.dispatcher.handle_text(caller, STAFF_PLACE, line)
    assert reply is not None
    return reply


async def broadcast(app: BotApp, text: str = f"{MARK} : candidatez !") -> int:
    """Preview then Confirm, as staff would on Slack; returns the announcement id."""
    preview = await staff_says(app, f"/announce send all title:Appel {text}")
    assert not preview.is_error, preview.message.text
    confirm = next(b for b in preview.message.buttons if b.action == "announce.confirm")
    caller = Caller("slack", TEAM, STAFF, "Sam", "fr")
    reply = await app.dispatcher.handle_action(caller, STAFF_PLACE, confirm.action, confirm.value)
    assert reply is not None and not reply.is_error, reply
    return int(confirm.args["id"])

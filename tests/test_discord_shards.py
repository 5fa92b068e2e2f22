"""Discord sharded over several processes: two bots on one database, each connecting one shard
of two, against the fake Discord, which routes each server's events to its shard only (as
Discord does: shard = (guild_id >> 22) % count; direct messages go to shard 0)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.scheduled import DiscordCalendar
from bot.app import BotApp
from bot.context import CommandContext
from bot.errors import ConfigError
from bot.messages import Reply
from bot.native_events import NativeEvent
from bot.registry import Registry
from bot.spec import CommandSpec, GroupSpec, L10n
from tests.discord_harness import GENERAL, GUILD, fake_discord, make_guild, running_bot
from tests.fakes.discord_server import (
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    FakeUser,
)

SECOND = GUILD + (1 << 22)  # the next shard's: (id >> 22) differs by one
SECOND_CHANNEL = SECOND + 1
SECOND_VOICE = SECOND + 2
FOREIGN = GUILD + (3 << 22)  # not in the federation, on shard 1 of 2
DORA = FakeUser(id=3_000_000_000_000_000_020, username="dora", global_name="Dora")
NOBODY = FakeUser(id=3_000_000_000_000_000_021, username="nobody")
FEDERATION = {"slack_teams": ["T1"], "discord_guilds": [str(GUILD), str(SECOND)]}
NBSP = "\u00a0"


def shard_of(guild_id: int, count: int) -> int:
    return (guild_id >> 22) % count


def two_servers() -> FakeDiscord:
    second = FakeGuild(
        id=SECOND,
        name="Antenne",
        channels=[
            FakeChannel(SECOND_CHANNEL, "general"),
            FakeChannel(SECOND_VOICE, "visio", type=2),
        ],
        members=[FakeMember(DORA)],
        preferred_locale="en-US",
    )
    foreign = FakeGuild(id=FOREIGN, name="Ailleurs", channels=[FakeChannel(FOREIGN + 1, "x")])
    return FakeDiscord(guilds=[make_guild(), second, foreign], users=[NOBODY], patch_discord=False)


def declare_whoami(registry: Registry, label: str) -> None:
    """A command that says which process answered."""

    async def whoami(ctx: CommandContext) -> Reply:
        return Reply.text(f"answered by {label}", ephemeral=False)

    registry.add_group(GroupSpec("demo", L10n("Démonstration", "Demo")))
    registry.add(CommandSpec(("demo", "whoami"), L10n("Qui répond", "Who answers"), whoami))


@contextlib.asynccontextmanager
async def shard_bots(
    tmp_path: Path, fake: FakeDiscord
) -> AsyncIterator[list[tuple[BotApp, DiscordAdapter]]]:
    """Two bots on one database (what two processes share), shards 0 and 1 of 2."""
    async with contextlib.AsyncExitStack() as stack:
        bots = []
        for shard in (0, 1):
            bot = await stack.enter_async_context(
                running_bot(
                    tmp_path,
                    fake,
                    declare=lambda r, s=shard: declare_whoami(r, f"shard {s}"),
                    raw={"federation": FEDERATION},
                    sync_on_start=shard == 0,
                    shard_ids=[shard],
                    shard_count=2,
                )
            )
            bots.append(bot)
        # The server outside the federation is on shard 1: that process leaves it.
        await fake.wait_for_request("DELETE users/@me/guilds/*")
        yield bots


async def answer(fake: FakeDiscord, payload: dict[str, Any]) -> str:
    await fake.dispatch_interaction(payload)
    body = await fake.wait_for_callback(payload)
    return str(body["data"].get("content", ""))


async def test_each_server_is_served_by_its_shard_once(tmp_path: Path) -> None:
    assert (shard_of(GUILD, 2), shard_of(SECOND, 2), shard_of(FOREIGN, 2)) == (0, 1, 1)
    fake = two_servers()
    async with fake, shard_bots(tmp_path, fake) as bots:
        assert fake.sessions().keys() == {(0, 2), (1, 2)}
        assert [p["shard"] for p in fake.identify_payloads] == [[0, 2], [1, 2]]
        assert fake.left_guild_ids == [FOREIGN]
        (_, first), (_, second) = bots
        assert {g.id for g in first.client.guilds} == {GUILD}  # type: ignore[union-attr]
        assert {g.id for g in second.client.guilds} <= {SECOND, FOREIGN}  # type: ignore[union-attr]
        assert await first.ready() and await second.ready()

        payloads = [
            fake.slash_interaction("demo whoami", guild_id=GUILD, channel_id=GENERAL),
            fake.slash_interaction(
                "demo whoami", guild_id=SECOND, channel_id=SECOND_CHANNEL, user_id=DORA.id
            ),
            fake.slash_interaction("demo whoami", guild_id=GUILD, channel_id=GENERAL),
        ]
        replies = [await answer(fake, p) for p in payloads]

    assert replies == ["answered by shard 0", "answered by shard 1", "answered by shard 0"]
    for payload in payloads:  # one answer each, never a second callback refused by Discord
        assert [c.interaction_id for c in fake.callbacks].count(int(payload["id"])) == 1
    assert fake.protocol_errors == []


async def test_direct_messages_reach_shard_0_which_knows_every_servers_members(
    tmp_path: Path,
) -> None:
    """Dora is a member of the server on shard 1 only; shard 0, which gets every direct
    message, finds her there through the REST API. A stranger is still refused."""
    fake = two_servers()
    async with fake, shard_bots(tmp_path, fake):
        member = fake.slash_interaction("ping", user_id=DORA.id, dm=True, locale="fr")
        stranger = fake.slash_interaction("ping", user_id=NOBODY.id, dm=True)
        welcome = await answer(fake, member)
        refused = await answer(fake, stranger)

    assert welcome.startswith("Pong\u202f! fedbot fonctionne")
    assert "Sorry, fedbot only serves" in refused


async def test_a_scheduled_event_for_a_server_on_the_other_shard(tmp_path: Path) -> None:
    """Shard 0's process creates the mirror in a server on shard 1: the voice channel the link
    points to, and the server's language, are read over REST (not in its cache)."""
    fake = two_servers()
    async with fake, shard_bots(tmp_path, fake) as [(app, adapter), _]:
        assert adapter.client is not None and adapter.client.get_guild(SECOND) is None
        settings = replace(app.config.discord, scheduled_events=(str(SECOND),))
        calendar = DiscordCalendar(adapter.client, settings)
        link = f"https://discord.com/channels/{SECOND}/{SECOND_VOICE}"
        event = NativeEvent(
            "fedbot:event:1", "Atelier", "", datetime.now(UTC) + timedelta(days=2), None, "", link
        )
        mirror_id = await calendar.create(str(SECOND), event)
        await fake.scheduled_event_user_add(SECOND, mirror_id, DORA.id, dispatch=False)
        [dora] = await calendar.interested(str(SECOND), mirror_id)
    [mirror] = fake.scheduled_events(SECOND)
    assert mirror["entity_type"] == 2 and mirror["channel_id"] == str(SECOND_VOICE)
    assert (dora.user_id, dora.locale) == (str(DORA.id), "en-US")


async def test_without_shards_one_process_connects_every_recommended_shard(
    tmp_path: Path,
) -> None:
    """No shard config: the gateway's recommendation (2 here) is connected by this process,
    which then serves both servers (discord.py identifies the second shard 5 s later, as
    Discord's identify limit wants)."""
    fake = two_servers()
    fake.recommended_shards = 2
    async with (
        fake,
        running_bot(
            tmp_path,
            fake,
            declare=lambda r: declare_whoami(r, "the only process"),
            raw={"federation": FEDERATION},
            sync_on_start=True,
            ready_timeout=15,
        ) as (_, adapter),
    ):
        assert fake.sessions().keys() == {(0, 2), (1, 2)}
        assert sorted(adapter.client.shards) == [0, 1]  # type: ignore[union-attr]
        replies = [
            await answer(fake, fake.slash_interaction("demo whoami", guild_id=GUILD)),
            await answer(
                fake,
                fake.slash_interaction(
                    "demo whoami", guild_id=SECOND, channel_id=SECOND_CHANNEL, user_id=DORA.id
                ),
            ),
        ]
    assert replies == ["answered by the only process"] * 2


async def test_the_fake_refuses_an_invalid_shard_like_discord(tmp_path: Path) -> None:
    fake = fake_discord()
    async with fake:
        with fake.patch_discord():
            client = discord.AutoShardedClient(
                intents=discord.Intents.none(), shard_ids=[2], shard_count=2
            )
            with pytest.raises(discord.ConnectionClosed) as closed:
                async with fake.run_client(client):
                    pass
    assert closed.value.code == 4010
    assert fake.refused_shards == [[2, 2]] and fake.sessions() == {}


async def test_too_few_shards_for_discord_stops_the_start_in_one_line(tmp_path: Path) -> None:
    """Discord wants a shard per 2,500 servers and closes a shard that holds more with 4011
    (the fake, with a limit of one server per shard, does the same)."""
    fake = two_servers()
    fake.max_guilds_per_shard = 1
    async with fake:
        with pytest.raises(ConfigError) as refused:
            async with running_bot(tmp_path, fake, raw={"federation": FEDERATION}):
                pass  # pragma: no cover - the start fails
    assert str(refused.value) == (
        "discord: Discord requires more shards (close code 4011): set discord.shard_count "
        "(or --shard-count) to at least what `fedbot doctor` says Discord recommends"
    )


def fedbot(tmp_path: Path, *args: str, config: str = "") -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "FEDBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"}
    for name in ("SLACK_BOT_TOKEN", "DISCORD_TOKEN", "SLACK_CLIENT_ID", "FEDBOT_CONFIG"):
        environ.pop(name, None)
    if config:
        (tmp_path / "fedbot.toml").write_text(config)
    return subprocess.run(
        [sys.executable, "-m", "fedbot", "run", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environ,
        timeout=90,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "config", "expected"),
    [
        (
            ("--shards", "2", "--shard-count", "2"),
            "",
            f"fedbot{NBSP}: pas de shard 2 sur 2{NBSP}: ils sont numérotés de 0 à 1.",
        ),
        (
            ("--shards", "0,x"),
            "",
            f"fedbot{NBSP}: --shards 0,x{NBSP}: attendu des numéros de shards séparés par "
            "des virgules, comme 0,1.",
        ),
        (
            ("--shard-count", "0"),
            "",
            f"fedbot{NBSP}: --shard-count 0{NBSP}: attendu le nombre total de shards, 1 ou plus.",
        ),
        (
            ("--shards", "1"),
            "",
            f"fedbot{NBSP}: --shards demande le nombre total de shards{NBSP}: ajoutez "
            "--shard-count (ou discord.shard_count à la configuration).",
        ),
        (
            ("--shards", "1,1", "--shard-count", "2"),
            "",
            f"fedbot{NBSP}: --shards cite le shard 1 deux fois.",
        ),
        (  # the command line's ids against the config's count
            ("--shards", "3"),
            "[discord]\nshard_count = 2\n",
            f"fedbot{NBSP}: pas de shard 3 sur 2{NBSP}: ils sont numérotés de 0 à 1.",
        ),
        (
            (),
            "[discord]\nshard_ids = [0, 4]\nshard_count = 4\n",
            "fedbot: config: discord.shard_ids: no shard 4 among 4 (0 to 3)",
        ),
        (
            (),
            "[discord]\nshard_count = 0\n",
            "fedbot: config: discord.shard_count: must be 1 or more, got 0",
        ),
    ],
)
def test_a_shard_plan_that_cannot_work_is_refused_in_one_line(
    tmp_path: Path, args: tuple[str, ...], config: str, expected: str
) -> None:
    done = fedbot(tmp_path, *args, config=config)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [expected]
    assert not (tmp_path / "c.db").exists()  # refused before the database was opened

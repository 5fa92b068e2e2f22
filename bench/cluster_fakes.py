"""The fake Slack and Discord of the tests, in a process of their own, for bench/cluster.py.

Both enforce the platforms' rate limits (tests/announce_fakes.py) and keep a post's answer a
little while (`latency`: a bot killed meanwhile has posted a message it never heard about).
A small control server answers `GET /counts?mark=…`: per Slack channel and per Discord channel
how many messages there are (and how many carry `mark`), per Slack user how many direct
messages they got, the 429s each fake answered, and when the last message arrived.

Prints one JSON line with the addresses once listening; runs until killed.
`python bench/cluster_fakes.py '{"agencies": 250, "digests": 200, "users": 120}'`
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from aiohttp import web
from measure import ROOT  # noqa: F401 - puts the repo root on sys.path

from tests.announce_fakes import DiscordLimits, PacedDiscord, PacedSlack, SlackLimits
from tests.fakes.discord_server import FakeChannel, FakeGuild

TEAM = "T0FAKE001"
GUILD = 4_000_000_000_000_000_000
STAFF, STAFF_CHANNEL = "U0STAFF01", "C0STAFF00"
SLACK_LIMITS = SlackLimits(channel_rate=1.0, workspace_rate=10.0, workspace_burst=10)
DISCORD_LIMITS = DiscordLimits(global_rate=50.0, route_limit=5, route_period=5.0)
LATENCY = 0.02


def slack_channel(i: int) -> str:
    return f"C{i:08d}"


def discord_channel(i: int) -> int:
    return GUILD + 100 + i


def digest_channel(i: int) -> int:
    return GUILD + 100_000 + i


def user(i: int) -> str:
    return f"U0MBR{i:04d}"


def build(spec: dict[str, Any]) -> tuple[PacedSlack, PacedDiscord]:
    slack = PacedSlack(strict_channels=True, latency=LATENCY, limits=SLACK_LIMITS)
    slack.add_user(STAFF, name="sam", display_name="Sam", locale="fr-FR")
    slack.add_channel(STAFF_CHANNEL, name="equipe")
    for i in range(spec["users"]):
        slack.add_user(user(i), name=f"m{i}", display_name=f"Membre {i}", locale="fr-FR")
    for i in range(spec["agencies"]):
        slack.add_channel(slack_channel(i), name=f"agence-{i}")
    channels = [FakeChannel(discord_channel(i), f"agence-{i}") for i in range(spec["agencies"])]
    channels += [FakeChannel(digest_channel(i), f"recap-{i}") for i in range(spec["digests"])]
    guild = FakeGuild(id=GUILD, name="Fédération", channels=channels)
    discord = PacedDiscord(
        guilds=[guild], patch_discord=False, latency=LATENCY, limits=DISCORD_LIMITS
    )
    return slack, discord


def counts(slack: PacedSlack, discord: PacedDiscord, mark: str) -> dict[str, Any]:
    out: dict[str, Any] = {"slack": {}, "slack_marked": {}, "dm": {}, "discord": {}}
    out["discord_marked"] = {}
    last = 0.0
    out["sent_at"] = {"slack": [], "discord": []}  # when each message arrived, for a timeline
    for (channel, ts), message in list(slack.messages.items()):
        last = max(last, float(ts))
        out["sent_at"]["slack"].append(float(ts))
        info = slack.channels.get(channel) or {}
        if info.get("is_im"):
            out["dm"][info["user"]] = out["dm"].get(info["user"], 0) + 1
            continue
        out["slack"][channel] = out["slack"].get(channel, 0) + 1
        if mark and mark in message.get("text", ""):
            out["slack_marked"][channel] = out["slack_marked"].get(channel, 0) + 1
    for message in list(discord._messages.values()):  # noqa: SLF001 - the fake's own store
        channel = str(message["channel_id"])
        at = ((int(message["id"]) >> 22) + 1_420_070_400_000) / 1000
        last = max(last, at)
        out["sent_at"]["discord"].append(at)
        out["discord"][channel] = out["discord"].get(channel, 0) + 1
        text = (message.get("content") or "") + " ".join(
            e.get("description") or "" for e in message.get("embeds") or []
        )
        if mark and mark in text:
            out["discord_marked"][channel] = out["discord_marked"].get(channel, 0) + 1
    out["rejected"] = {"slack": slack.rejected, "discord": discord.rejected}
    out["last_message_at"] = last
    out["now"] = time.time()
    return out


async def main(spec: dict[str, Any]) -> None:
    slack, discord = build(spec)
    async with slack, discord:

        async def serve_counts(request: web.Request) -> web.Response:
            return web.json_response(counts(slack, discord, request.query.get("mark", "")))

        control = web.Application()
        control.router.add_get("/counts", serve_counts)
        runner = web.AppRunner(control, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001
        print(
            json.dumps(
                {
                    "slack_api": slack.api_url,
                    "discord_api": discord.api_base,
                    "discord_gateway": discord.gateway_url,
                    "control": f"http://127.0.0.1:{port}",
                }
            ),
            flush=True,
        )
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))

"""kill -9 in the middle of a broadcast, then restart: nothing is lost, nothing shows twice.

The bot runs as a real process (`python -m fedbot run`, Slack in HTTP mode and Discord), talking to
the fake Slack and Discord servers of this test process. Staff send and confirm the
announcement over Slack's HTTP interface; once about a third of the copies are out the process
is SIGKILLed, then started again on the same database and left to finish: the rows the dead
process held come back when their lease lapses, and those it had in flight are looked for on
the platforms (Slack message metadata, Discord nonce) before anything is sent again.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage.database import Database
from commands.announce.store.announcements import AnnouncementRepo
from commands.announce.store.outbox_rows import FAILED, SENDING, SENT, UNSETTLED
from fedbot.assembly import make_app, migration_dirs
from tests.announce_wire import MARK, STAFF, STAFF_CHANNEL, Network, seed
from tests.conftest import leases
from tests.fakes.slack_server import DEFAULT_SIGNING_SECRET, SlackRequestSender

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 6
LEASE_SECONDS = 5  # how soon the restarted bot takes over the dead one's rows


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _toml(tables: dict[str, dict[str, Any]]) -> str:
    lines = []
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
async def net() -> AsyncIterator[Network]:
    # 40 ms per post: sends are in flight when the process dies (the duplicate window).
    network = Network(agencies=150, broken=2, latency=0.04)
    async with network.slack, network.discord:
        yield network


class BotProcess:
    def __init__(self, tmp_path: Path, net: Network, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.db_url = f"sqlite+aiosqlite:///{tmp_path / 'kill.db'}"
        raw = net.raw_config(
            slack={"workspace_rate": 40.0},
            discord={"rate": 40.0},
            concurrency=CONCURRENCY,
            sweep_interval=1,
        )
        raw["http"] = {"port": port}
        raw["bot"] = {"database_url": self.db_url, "log_level": "INFO"}
        raw["cluster"] = {"lease_seconds": LEASE_SECONDS}
        self.config_path = tmp_path / "fedbot.toml"
        self.config_path.write_text(_toml(raw), "utf-8")
        self.env = {**os.environ, **net.env(), "FEDBOT_CONFIG": str(self.config_path)}
        self.env.pop("FEDBOT_DATABASE_URL", None)
        self.log = tmp_path / "bot.log"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "fedbot",
                "run",
                "-v",
                cwd=ROOT,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )

    async def stop(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        await asyncio.wait_for(self.proc.wait(), 20)


async def _until(predicate, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def _started(bot: BotProcess, net: Network) -> None:
    await bot.start()

    async def up() -> bool:
        if not net.discord.connected:
            return False
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", bot.port)
        except OSError:
            return False
        writer.close()
        return True

    await _until(up, 30, f"the bot to start ({bot.log.read_text()[-2000:]})")


async def _send_and_confirm_on_slack(bot: BotProcess, net: Network) -> None:
    """What staff do: the slash command, then the preview's Confirm button."""
    slack = SlackRequestSender(bot.url, DEFAULT_SIGNING_SECRET, fake=net.slack)
    where = {"user_id": STAFF, "channel_id": STAFF_CHANNEL}
    text = f"send all title:Appel {MARK} : candidatez !"
    preview = await slack.slash_command(command="/announce", text=text, **where)
    assert preview.status == 200, preview
    buttons = [e for b in preview.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    confirm = next(e for e in buttons if e["action_id"] == "announce.confirm")
    await slack.block_action(action_id="announce.confirm", value=confirm["value"], **where)


async def test_a_killed_bot_finishes_the_broadcast_after_restart(tmp_path, net: Network) -> None:
    bot = BotProcess(tmp_path, net, _free_port())
    async with make_app(net.config(bot.db_url), start_scheduler=False) as app:
        await seed(app, net)
    db = Database.open(bot.db_url, migration_dirs())
    outbox = AnnouncementRepo(db, leases(db, "observer")).outbox
    await _started(bot, net)
    await _send_and_confirm_on_slack(bot, net)

    async def a_third_out_and_some_in_flight() -> bool:
        return net.delivered() >= 100 and net.slack.in_flight + net.discord.in_flight > 0

    await _until(a_third_out_and_some_in_flight, 30, "the first copies")
    await bot.stop(signal.SIGKILL)
    # Posts the fakes had read when the bot died: they will be stored, unknown to the bot.
    accepted_unknown = net.slack.in_flight + net.discord.in_flight
    counts = await outbox.counts(1)
    in_doubt = sum(states.get(SENDING, 0) for states in counts.values())
    assert net.delivered() < 296, "the kill came too late to test anything"
    assert in_doubt <= 2 * CONCURRENCY  # sends in flight: the only rows in doubt

    await _started(bot, net)

    async def finished() -> bool:
        counts = await outbox.counts(1)
        return not any(states.get(s) for states in counts.values() for s in UNSETTLED)

    await _until(finished, 60, f"the restarted bot to finish ({bot.log.read_text()[-2000:]})")
    await bot.stop(signal.SIGTERM)

    per_destination = [len(net.slack_copies(i)) for i in net.good]
    per_destination += [len(net.discord_copies(i)) for i in net.good]
    assert min(per_destination) == 1  # nothing lost
    # The copies the platforms accepted while the bot died were found, not sent again.
    assert max(per_destination) == 1, "a copy shows twice"
    counts = await outbox.counts(1)
    assert counts["slack"] == {SENT: 148, FAILED: 2} and counts["discord"] == {SENT: 148, FAILED: 2}
    print(f"in doubt at the kill: {in_doubt}, accepted unknown to the bot: {accepted_unknown}")
    await db.close()

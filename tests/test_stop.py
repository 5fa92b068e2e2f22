"""`fedbot run` stops on SIGTERM or Ctrl-C (SIGINT) in every phase, within a bounded time: a
real process, real signals. While Slack cannot be reached (Socket Mode retries for ever, the
token check backs off), while the Discord gateway does not answer, and once connected."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.conftest import TEST_SECRET_KEY
from tests.discord_harness import fake_discord
from tests.fakes.discord_server import DEFAULT_TOKEN
from tests.fakes.slack_server import (
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_TOKEN,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    FakeSlack,
)

STOP_BOUND = 10.0  # seconds from the signal to the end of the process (serving.SHUTDOWN_TIMEOUT)
SECRETS = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "DISCORD_TOKEN",
    "FEDBOT_SECRET_KEY",
    "FEDBOT_CONFIG",
    "FEDBOT_DATABASE_URL",
)


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Bot:
    proc: asyncio.subprocess.Process
    log: Path
    port: int

    def lines(self) -> list[dict[str, object]]:
        text = self.log.read_text("utf-8") if self.log.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    async def wait_for_log(self, fragment: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(fragment in str(line["message"]) for line in self.lines()):
                return
            assert self.proc.returncode is None, self.log.read_text("utf-8")[-2000:]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no log line with {fragment!r}:\n{self.log.read_text()[-2000:]}")

    async def get(self, path: str) -> tuple[int, dict[str, object]]:
        url = f"http://127.0.0.1:{self.port}{path}"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return response.status, await response.json()

    async def stop_with(self, sig: signal.Signals) -> tuple[int, float]:
        """Send `sig`; the exit code and the seconds it took."""
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = await asyncio.wait_for(self.proc.wait(), STOP_BOUND + 5)
        return code, time.monotonic() - started


@asynccontextmanager
async def fedbot_run(tmp_path: Path, config: str, **env: str) -> AsyncIterator[Bot]:
    """`python -m fedbot run --log-format json` with `[http]` on a free port."""
    port = free_port()
    path = tmp_path / "fedbot.toml"
    path.write_text(f"[http]\nenabled = true\nport = {port}\n{config}", "utf-8")
    environ = {k: v for k, v in os.environ.items() if k not in SECRETS}
    environ |= {"FEDBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", **env}
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fedbot", "run", "--config", str(path), "--log-format", "json",
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
            env=environ, cwd=tmp_path,
        )  # fmt: skip
    bot = Bot(proc, log, port)
    try:
        yield bot
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_sigterm_stops_it_while_socket_mode_retries_to_connect(tmp_path: Path) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}/api/"
    config = (
        f'[federation]\nslack_teams = ["T0FAKE001"]\n'
        f'[slack]\nmode = "socket"\napi_base_url = "{unreachable}"\n'
    )
    oauth = {
        "SLACK_CLIENT_ID": DEFAULT_CLIENT_ID,
        "SLACK_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "SLACK_APP_TOKEN": DEFAULT_APP_TOKEN,
        "FEDBOT_SECRET_KEY": TEST_SECRET_KEY,
    }
    async with fedbot_run(tmp_path, config, **oauth) as bot:
        await bot.wait_for_log("apps.connections.open")  # connecting, and failing to
        alive, _ = await bot.get("/healthz")
        status, ready = await bot.get("/readyz")
        code, took = await bot.stop_with(signal.SIGTERM)
    assert alive == 200
    assert status == 503 and ready["failing"] == ["slack"]
    assert code == 0 and took < STOP_BOUND
    messages = [line["message"] for line in bot.lines()]
    assert "stop asked while the slack adapter was connecting" in messages


async def test_ctrl_c_stops_it_while_the_slack_token_check_backs_off(tmp_path: Path) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}/api/"
    config = f'[federation]\nslack_teams = ["T0FAKE001"]\n[slack]\napi_base_url = "{unreachable}"\n'
    env = {"SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN, "SLACK_APP_TOKEN": DEFAULT_APP_TOKEN}
    async with fedbot_run(tmp_path, config, **env) as bot:
        await bot.wait_for_log("auth.test: ClientConnectorError, retrying")
        code, took = await bot.stop_with(signal.SIGINT)
    assert code == 0 and took < STOP_BOUND
    assert not any("Traceback" in str(line.get("exception", "")) for line in bot.lines())


async def test_sigterm_stops_it_while_the_discord_gateway_does_not_answer(tmp_path: Path) -> None:
    silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)  # accepts, says nothing
    gateway = f"ws://127.0.0.1:{silent.sockets[0].getsockname()[1]}/gateway"
    async with fake_discord() as fake:
        config = (
            f'[federation]\ndiscord_guilds = ["3000000000000000001"]\n'
            f'[discord]\napi_base_url = "{fake.api_base}"\ngateway_url = "{gateway}"\n'
        )
        async with fedbot_run(tmp_path, config, DISCORD_TOKEN=DEFAULT_TOKEN) as bot:
            await bot.wait_for_log("HTTP server listening")
            await fake.wait_for_request("GET users/@me")  # logged in; the gateway is next
            status, ready = await bot.get("/readyz")
            code, took = await bot.stop_with(signal.SIGTERM)
    silent.close()
    assert status == 503 and ready["checks"]["discord"] == "not connected"
    assert code == 0 and took < STOP_BOUND


async def test_once_connected_it_is_ready_and_stops_cleanly(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        config = (
            f'[federation]\nslack_teams = ["T0FAKE001"]\n'
            f'[slack]\nmode = "socket"\napi_base_url = "{fake.api_url}"\n'
        )
        env = {"SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN, "SLACK_APP_TOKEN": DEFAULT_APP_TOKEN}
        async with fedbot_run(tmp_path, config, **env) as bot:
            await bot.wait_for_log("slack adapter started")
            status, ready = await bot.get("/readyz")
            code, took = await bot.stop_with(signal.SIGTERM)
    assert status == 200 and ready["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "slack": "ok",
    }
    assert code == 0 and took < STOP_BOUND
    messages = [line["message"] for line in bot.lines()]
    assert "shutting down" in messages

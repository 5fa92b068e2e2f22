"""`fedbot run` with platform tokens: a refused token ends with a clear message, no traceback."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.fakes.discord_server import FakeDiscord


async def test_a_refused_discord_token_is_reported_plainly(tmp_path: Path) -> None:
    async with FakeDiscord(token="the-right-token", patch_discord=False) as fake:
        config = tmp_path / "fedbot.toml"
        config.write_text(
            f'[discord]\napi_base_url = "{fake.api_base}"\ngateway_url = "{fake.gateway_url}"\n'
        )
        env = {
            **os.environ,
            "DISCORD_TOKEN": "a-wrong-token-value",
            "FEDBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'r.db'}",
        }
        for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "FEDBOT_CONFIG"):
            env.pop(name, None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "fedbot",
            "run",
            "--config",
            str(config),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=tmp_path,
        )
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 2
    text = err.decode()
    assert "fedbot: DISCORD_TOKEN: refused by Discord" in text
    assert "Traceback" not in text
    assert "a-wrong-token-value" not in text

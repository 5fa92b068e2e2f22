"""Secrets at rest: Slack tokens encrypted (a stolen copy of the database holds no usable
token), a missing or wrong key is a clear start-up error, `fedbot secrets rotate` re-encrypts
with a new key, Slack's token rotation renews tokens before they expire, database files are
private, and no password is ever printed."""

from __future__ import annotations

import argparse
import io
import os
import stat
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.models.bot import Bot
from sqlalchemy import select

from adapters.console.adapter import ConsoleAdapter, ConsoleOptions
from adapters.slack.installations import slack_installations
from bot.clock import FixedClock
from bot.config import parse_config
from bot.errors import ConfigError
from bot.identity import ChannelRef
from bot.messages import Message
from bot.secret_box import SecretBox
from fedbot import tools
from fedbot.assembly import make_app
from tests.conftest import T0, TEST_SECRET_KEY, make_config
from tests.fakes.slack_server import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TEAM_ID,
    FakeSlack,
)
from tests.slack_harness import add_people, slack_bot

OAUTH = {"SLACK_CLIENT_ID": DEFAULT_CLIENT_ID, "SLACK_CLIENT_SECRET": DEFAULT_CLIENT_SECRET}
TOKEN = "xoxb-the-real-token-of-the-federation"


async def _stored(app) -> list[tuple[str, str | None]]:
    async with app.db.read() as conn:
        rows = await conn.execute(
            select(slack_installations.c.bot_token, slack_installations.c.bot_refresh_token)
        )
        return [(r.bot_token, r.bot_refresh_token) for r in rows]


def _bot(token: str = TOKEN, refresh: str | None = None, expires: int | None = None) -> Bot:
    return Bot(
        team_id=DEFAULT_TEAM_ID,
        bot_token=token,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="commands",
        bot_refresh_token=refresh,
        bot_token_expires_at=expires,
        installed_at=1_700_000_000.0,
    )


async def test_tokens_are_encrypted_and_a_copy_of_the_database_is_useless(
    tmp_path: Path,
) -> None:
    async with FakeSlack(workspaces={TOKEN: {"team_id": DEFAULT_TEAM_ID}}) as fake:
        add_people(fake)
        env = {**OAUTH, "SLACK_BOT_TOKEN": ""}
        async with slack_bot(tmp_path, fake, env=env) as bot:
            store = bot.adapter.store
            assert store is not None
            await store.async_save_bot(_bot())
            found = await store.async_find_bot(enterprise_id=None, team_id=DEFAULT_TEAM_ID)
            posted = await bot.app.outbound.send(
                ChannelRef("slack", DEFAULT_TEAM_ID, "C1"), Message("hello")
            )
            stored = await _stored(bot.app)
    assert found is not None and found.bot_token == TOKEN  # the bot reads it back
    assert posted.message_id
    raw = (tmp_path / "fedbot.db").read_bytes()
    assert TOKEN.encode() not in raw and b"the-real-token" not in raw
    assert stored[0][0].startswith("fernet:")


async def test_no_key_with_stored_tokens_stops_the_slack_adapter(tmp_path: Path) -> None:
    async with FakeSlack(workspaces={TOKEN: {"team_id": DEFAULT_TEAM_ID}}) as fake:
        env = {**OAUTH, "SLACK_BOT_TOKEN": ""}
        async with slack_bot(tmp_path, fake, env=env) as bot:
            assert bot.adapter.store is not None
            await bot.adapter.store.async_save_bot(_bot())
        with pytest.raises(ConfigError, match="FEDBOT_SECRET_KEY is not set, and 1 Slack"):
            async with slack_bot(tmp_path, fake, env={**env, "FEDBOT_SECRET_KEY": ""}):
                pass
        other = SecretBox.generate()
        with pytest.raises(ConfigError, match="does not open the stored tokens"):
            async with slack_bot(tmp_path, fake, env={**env, "FEDBOT_SECRET_KEY": other}):
                pass


def test_a_malformed_key_is_refused_when_the_config_loads() -> None:
    with pytest.raises(ConfigError, match="FEDBOT_SECRET_KEY: not a Fernet key"):
        parse_config({}, {"FEDBOT_SECRET_KEY": "hunter2"})


async def test_rotate_re_encrypts_with_the_new_key(tmp_path: Path, capsys) -> None:
    async with FakeSlack(workspaces={TOKEN: {"team_id": DEFAULT_TEAM_ID}}) as fake:
        env = {**OAUTH, "SLACK_BOT_TOKEN": ""}
        async with slack_bot(tmp_path, fake, env=env) as bot:
            assert bot.adapter.store is not None
            await bot.adapter.store.async_save_bot(_bot())
            before = await _stored(bot.app)
    new = SecretBox.generate()
    both = make_config(tmp_path, {}, FEDBOT_SECRET_KEY=f"{new},{TEST_SECRET_KEY}")
    assert await tools.secrets(both, argparse.Namespace(secrets_command="rotate")) == 0
    assert "1 stored token(s) encrypted" in capsys.readouterr().out
    config = make_config(tmp_path, {}, FEDBOT_SECRET_KEY=new)  # the old key dropped
    async with make_app(config, FixedClock(T0), start_scheduler=False) as app:
        after = await _stored(app)
    assert after[0][0] != before[0][0]
    assert SecretBox(new).open(after[0][0]) == TOKEN


async def test_rotating_tokens_are_renewed_before_they_expire(tmp_path: Path) -> None:
    async with FakeSlack(workspaces={TOKEN: {"team_id": DEFAULT_TEAM_ID}}) as fake:
        add_people(fake)
        fake.enable_rotation(TOKEN)
        fake.refresh_tokens["xoxe-1-first"] = TOKEN
        env = {**OAUTH, "SLACK_BOT_TOKEN": ""}
        async with slack_bot(tmp_path, fake, env=env, slack={"token_rotation": True}) as bot:
            store = bot.adapter.store
            assert store is not None
            soon = int(__import__("time").time()) + 600  # expires in 10 minutes
            await store.async_save_bot(_bot(refresh="xoxe-1-first", expires=soon))
            await bot.app.outbound.send(ChannelRef("slack", DEFAULT_TEAM_ID, "C1"), Message("hi"))
            renewed = await store.async_find_bot(enterprise_id=None, team_id=DEFAULT_TEAM_ID)
            stored = await _stored(bot.app)
    refresh = [c for c in fake.calls_to("oauth.v2.access")]
    assert [c.params["grant_type"] for c in refresh] == ["refresh_token"]
    assert renewed is not None and renewed.bot_token != TOKEN
    assert fake.last_call("chat.postMessage").token == renewed.bot_token
    assert all(value.startswith("fernet:") for value in stored[0])  # refresh token too


async def test_database_files_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)  # the bot creates no folder of its own but its default one
    config = make_config(tmp_path)
    url = f"sqlite+aiosqlite:///{folder / 'fedbot.db'}"
    from dataclasses import replace

    config = replace(config, bot=replace(config.bot, database_url=url))
    async with make_app(config, FixedClock(T0), start_scheduler=False):
        # the database's own files, and the FAQ's journal of asks (a folder) and its files
        paths = [folder, *folder.iterdir(), *folder.glob("*/*")]
        modes = {str(p.relative_to(folder)): stat.S_IMODE(os.stat(p).st_mode) for p in paths}
    assert modes["fedbot.db"] == 0o600 and modes["fedbot.db-asks"] == 0o700
    files = [name for name in modes if name.startswith("fedbot.db-asks/")]
    assert any(name.endswith(".lock") for name in files)  # the journal of a running bot
    assert all(modes[name] == 0o600 for name in files)
    assert all(
        mode == 0o600
        for name, mode in modes.items()
        if name.startswith("fedbot.db-") and not name.startswith("fedbot.db-asks")
    )


async def test_the_console_banner_hides_the_database_password(tmp_path: Path, monkeypatch) -> None:
    config = make_config(tmp_path)
    async with make_app(config, FixedClock(T0), start_scheduler=False) as app:
        shown = replace_url(app, "postgresql+asyncpg://fedbot:s3cr3t-pw@db.example/fedbot")
        console = ConsoleAdapter(
            shown, ConsoleOptions(), stdin=io.StringIO(""), stdout=io.StringIO()
        )
        banner = console.banner()
    assert "s3cr3t-pw" not in banner and "fedbot:***@db.example" in banner


def replace_url(app, url: str):
    from dataclasses import replace

    app.config = replace(app.config, bot=replace(app.config.bot, database_url=url))
    return app

"""`fedbot doctor`: one line per check, exit code 1 when one fails, against the fake platforms;
a console-only set-up with no token is healthy."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config
from fedbot.assembly import make_app
from fedbot.cli import main
from fedbot.doctor import doctor
from tests.conftest import TEST_SECRET_KEY, make_config
from tests.discord_harness import make_guild
from tests.fakes.discord_server import (
    ALL_PERMISSIONS,
    DEFAULT_TOKEN,
    PERM_ADMINISTRATOR,
    PERM_CREATE_EVENTS,
    PERM_MANAGE_EVENTS,
    FakeDiscord,
)
from tests.fakes.slack_server import (
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_TOKEN,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TEAM_ID,
    FakeSlack,
    Workspace,
)

MESSAGE_CONTENT = 1 << 18  # the application flag of the privileged intent


async def _checked(config: Config, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = await doctor(config, argparse.Namespace(config=None))
    return code, capsys.readouterr().out.splitlines()


async def _migrated(config: Config) -> Config:
    app = make_app(config, start_scheduler=False)
    await app.open()
    await app.close()
    return config


def _line(lines: list[str], name: str) -> str:
    [found] = [line for line in lines if line[2:].startswith(f"{name}:")]
    return found


async def test_a_console_only_set_up_is_healthy(tmp_path: Path, capsys) -> None:
    code, lines = await _checked(await _migrated(make_config(tmp_path, {"federation": {}})), capsys)
    assert code == 0
    assert _line(lines, "database").startswith("✓ database: sqlite+aiosqlite:///")
    assert _line(lines, "migrations").startswith("✓ migrations: at head")
    assert (
        _line(lines, "slack") == "– slack: not configured (no SLACK_BOT_TOKEN, no SLACK_CLIENT_ID)"
    )
    assert _line(lines, "discord") == "– discord: not configured (no DISCORD_TOKEN)"
    assert not any(line.startswith("✗") for line in lines)


def test_a_database_not_created_yet_is_left_alone(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("FEDBOT_CONFIG", "FEDBOT_DATABASE_URL", "SLACK_BOT_TOKEN", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    target = tmp_path / "data" / "fedbot.db"
    assert main(["doctor", "--db", f"sqlite+aiosqlite:///{target}"]) == 0
    assert "does not exist yet" in capsys.readouterr().out
    assert not target.exists() and not target.parent.exists()


def test_an_invalid_config_is_the_first_failed_check(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "fedbot.toml"
    bad.write_text('[throttle]\nburst = "many"\n')
    assert main(["doctor", "--config", str(bad)]) == 1
    assert capsys.readouterr().out == "✗ config: throttle.burst: expected an integer, got 'many'\n"


async def test_a_database_behind_the_code_fails(tmp_path: Path, capsys) -> None:
    config = await _migrated(make_config(tmp_path))
    with sqlite3.connect(tmp_path / "fedbot.db") as conn:
        conn.execute("delete from alembic_version where version_num like '%_faq%'")  # its head
    code, lines = await _checked(config, capsys)
    assert code == 1
    assert _line(lines, "migrations").startswith("✗ migrations: 1 branch(es) behind")
    assert "run `fedbot migrate`" in _line(lines, "migrations")


async def test_an_unreachable_database_fails(tmp_path: Path, capsys) -> None:
    config = make_config(tmp_path)
    url = "postgresql+asyncpg://fedbot:hunter2@127.0.0.1:9/fedbot"
    config = config.__class__(**{**config.__dict__, "bot": config.bot.__class__(
        **{**config.bot.__dict__, "database_url": url})})  # fmt: skip
    code, lines = await _checked(config, capsys)
    assert code == 1
    assert _line(lines, "database").startswith("✗ database: postgresql+asyncpg://fedbot:***@")
    assert "hunter2" not in "\n".join(lines)


def _slack(
    tmp_path: Path, fake: FakeSlack, raw: dict[str, Any] | None = None, **env: str
) -> Config:
    settings = {"slack": {"mode": "socket", "api_base_url": fake.api_url}}
    tokens = {"SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN, "SLACK_APP_TOKEN": DEFAULT_APP_TOKEN, **env}
    return make_config(tmp_path, {**settings, **(raw or {})}, **tokens)


async def test_a_working_slack_set_up_passes(tmp_path: Path, capsys) -> None:
    async with FakeSlack() as fake:
        code, lines = await _checked(await _migrated(_slack(tmp_path, fake)), capsys)
    assert code == 0, lines
    assert _line(lines, "SLACK_BOT_TOKEN").startswith(
        f"✓ SLACK_BOT_TOKEN: workspace {DEFAULT_TEAM_ID}"
    )
    assert (
        _line(lines, "slack workspace")
        == f"✓ slack workspace: {DEFAULT_TEAM_ID} is in the federation"
    )
    assert _line(lines, "slack scopes") == "✓ slack scopes: every scope the manifest asks for"
    assert _line(lines, "SLACK_APP_TOKEN") == "✓ SLACK_APP_TOKEN: Socket Mode accepts it"


async def test_missing_scopes_and_an_unlisted_workspace_fail(tmp_path: Path, capsys) -> None:
    narrow = Workspace(team_id="T0OTHER01", scopes="commands,chat:write")
    raw = {"slack": {"mode": "socket", "message_events": True}}
    async with FakeSlack({DEFAULT_BOT_TOKEN: narrow}) as fake:
        config = await _migrated(_slack(tmp_path, fake, raw))
        config = config.__class__(**{**config.__dict__, "slack": config.slack.__class__(
            **{**config.slack.__dict__, "api_base_url": fake.api_url})})  # fmt: skip
        code, lines = await _checked(config, capsys)
    assert code == 1
    assert _line(lines, "slack workspace").startswith("✗ slack workspace: SLACK_BOT_TOKEN belongs")
    scopes = _line(lines, "slack scopes")
    assert scopes.startswith("✗ slack scopes: missing chat:write.public, users:read")
    assert "channels:history, groups:history" in scopes  # message_events asks for them


async def test_a_refused_slack_token_fails(tmp_path: Path, capsys) -> None:
    async with FakeSlack() as fake:
        config = await _migrated(_slack(tmp_path, fake, SLACK_BOT_TOKEN="xoxb-not-a-real-one"))
        code, lines = await _checked(config, capsys)
    assert code == 1
    assert _line(lines, "SLACK_BOT_TOKEN") == "✗ SLACK_BOT_TOKEN: refused: auth.test: invalid_auth"


async def test_a_token_without_an_allow_list_fails(tmp_path: Path, capsys) -> None:
    async with FakeSlack() as fake:
        config = await _migrated(_slack(tmp_path, fake, {"federation": {}}))
        code, lines = await _checked(config, capsys)
    assert code == 1
    assert _line(lines, "federation (slack)").startswith(
        "✗ federation (slack): federation.slack_teams (or slack_enterprises) is empty"
    )


async def test_stored_oauth_tokens_need_their_key(tmp_path: Path, capsys) -> None:
    async with FakeSlack() as fake:
        oauth = {"SLACK_CLIENT_ID": DEFAULT_CLIENT_ID, "SLACK_CLIENT_SECRET": DEFAULT_CLIENT_SECRET}
        with_key = await _migrated(
            _slack(tmp_path, fake, FEDBOT_SECRET_KEY=TEST_SECRET_KEY, **oauth)
        )
        from adapters.slack.adapter import SlackAdapter

        async with make_app(with_key, start_scheduler=False) as app:  # stores the env token
            adapter = SlackAdapter(app)
            await adapter.start()
            await adapter.stop()
        code, with_lines = await _checked(with_key, capsys)
        without_key = _slack(tmp_path, fake, **oauth)
        code_without, without_lines = await _checked(without_key, capsys)
    assert code == 0, with_lines
    assert _line(with_lines, "stored Slack tokens") == (
        "✓ stored Slack tokens: 1 opened with FEDBOT_SECRET_KEY"
    )
    assert code_without == 1
    assert _line(without_lines, "stored Slack tokens").startswith(
        "✗ stored Slack tokens: 1 stored, FEDBOT_SECRET_KEY is not set"
    )


def _discord(tmp_path: Path, fake: FakeDiscord, **discord: Any) -> Config:
    settings = {"api_base_url": fake.api_base, "gateway_url": fake.gateway_url, **discord}
    return make_config(tmp_path, {"discord": settings}, DISCORD_TOKEN=DEFAULT_TOKEN)


async def test_the_message_content_intent_is_checked_when_asked_for(tmp_path: Path, capsys) -> None:
    async with FakeDiscord(patch_discord=False) as fake:
        config = await _migrated(_discord(tmp_path, fake, message_content=True))
        code, lines = await _checked(config, capsys)
        fake.application_flags = MESSAGE_CONTENT
        code_on, lines_on = await _checked(config, capsys)
    assert code == 1
    assert _line(lines, "DISCORD_TOKEN").startswith("✓ DISCORD_TOKEN: bot fedbot")
    assert _line(lines, "discord intents").startswith(
        "✗ discord intents: discord.message_content is on but the application lacks"
    )
    assert code_on == 0
    assert _line(lines_on, "discord intents") == (
        "✓ discord intents: MESSAGE_CONTENT is on for the application"
    )


async def test_a_refused_discord_token_fails(tmp_path: Path, capsys) -> None:
    async with FakeDiscord(token="the-right-one", patch_discord=False) as fake:
        code, lines = await _checked(await _migrated(_discord(tmp_path, fake)), capsys)
    assert code == 1
    assert _line(lines, "DISCORD_TOKEN") == "✗ DISCORD_TOKEN: refused by Discord"


async def test_doctor_says_which_mirrored_server_lacks_manage_events(
    tmp_path: Path, capsys
) -> None:
    guild = make_guild()
    async with FakeDiscord(guilds=[guild], patch_discord=False) as fake:
        config = await _migrated(_discord(tmp_path, fake, scheduled_events=[str(guild.id)]))
        await fake.set_bot_permissions(
            guild.id,
            ALL_PERMISSIONS & ~(PERM_MANAGE_EVENTS | PERM_CREATE_EVENTS | PERM_ADMINISTRATOR),
        )
        code, lines = await _checked(config, capsys)
        await fake.set_bot_permissions(guild.id, ALL_PERMISSIONS)
        code_ok, lines_ok = await _checked(config, capsys)
    assert code == 1
    assert _line(lines, "discord events") == (
        f"✗ discord events: Discord server {guild.id} ({guild.name}): scheduled events are on "
        "(discord.scheduled_events), but the bot lacks the Manage Events permission: give it "
        "to the bot's role (Server Settings > Roles), or no event is added to the Events tab"
    )
    assert code_ok == 0
    assert _line(lines_ok, "discord events") == (
        "✓ discord events: Manage Events granted in 1 server(s)"
    )


async def test_the_shards_are_shown_beside_discords_recommendation(tmp_path: Path, capsys) -> None:
    async with FakeDiscord(patch_discord=False, recommended_shards=3) as fake:
        whole = await _migrated(_discord(tmp_path, fake))
        code, lines = await _checked(whole, capsys)
        split = _discord(tmp_path, fake, shard_ids=[0, 2], shard_count=4)
        code_split, split_lines = await _checked(split, capsys)
    assert (code, code_split) == (0, 0)
    assert _line(lines, "discord shards") == (
        "✓ discord shards: one process connects every shard (Discord recommends 3)"
    )
    assert _line(split_lines, "discord shards") == (
        "✓ discord shards: 0,2 of 4 in this process (Discord recommends 3)"
    )

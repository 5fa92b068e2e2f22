"""Grants by name or for any workspace: refused when the config loads (exit code 2, the key
named, the id form shown), and the tools that show the ids to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.discord.ids import role_lines
from adapters.slack.ids import group_lines
from bot.clock import FixedClock
from bot.storage.database import Database
from fedbot.assembly import make_app, migration_dirs
from fedbot.cli import main
from tests.conftest import T0, make_config
from tests.discord_harness import GUILD, STAFF_ROLE, discord_config, fake_discord
from tests.fakes.slack_server import DEFAULT_BOT_TOKEN, DEFAULT_TEAM_ID, FakeSlack

GUILD_ID = "300000000000000001"


@pytest.mark.parametrize(
    ("toml", "key", "hint"),
    [
        (
            '[roles]\nstaff = ["discord:*:Équipe fédérale"]',
            "roles.staff",
            "discord:<server id>:<role id>",
        ),
        (
            '[roles]\nstaff = ["slack:*:equipe-federale"]',
            "roles.staff",
            "slack:T0123ABCD:S0789IJKL",
        ),
        (
            '[federation]\nslack_teams = ["T0FED"]\n[roles]\nadmin = ["slack:T0FED:bureau"]',
            "roles.admin",
            "is a name or handle, not an id",
        ),
        (
            f'[federation]\ndiscord_guilds = ["{GUILD_ID}"]\n[roles]\n'
            f'faq_editor = ["discord:{GUILD_ID}:Modération"]',
            "roles.faq_editor",
            "is a name, not an id",
        ),
        (
            '[roles]\nstaff = ["slack:T0ELSEWHERE:U0ABC"]',
            "roles.staff",
            "workspace T0ELSEWHERE is not in federation.slack_teams",
        ),
        (
            '[[agencies]]\nname = "A"\nregion = "B"\nmoderators = ["discord:*:Modération"]',
            "agencies[0].moderators",
            "is a name, not an id",
        ),
        (
            '[roles.groups]\nstaff = ["discord:*:Équipe fédérale"]',
            "roles.groups",
            "fedbot discord roles",
        ),
        ('[roles]\nmoderator = ["slack:T1:U1"]', "roles.moderator", "[[agencies]] moderators"),
    ],
)
def test_a_grant_by_name_or_wildcard_stops_the_bot(
    tmp_path: Path, capsys, toml: str, key: str, hint: str
) -> None:
    config = tmp_path / "fedbot.toml"
    config.write_text(toml, "utf-8")
    db = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    assert main(["run", "--config", str(config), "--db", db]) == 2
    err = capsys.readouterr().err
    assert f"config: {key}:" in err and hint in err, err
    assert not (tmp_path / "x.db").exists()  # refused before anything was opened


def test_a_discord_user_may_be_granted_in_every_federation_server(tmp_path: Path) -> None:
    config = tmp_path / "fedbot.toml"
    config.write_text(
        f'[federation]\ndiscord_guilds = ["{GUILD_ID}"]\n[roles]\nstaff = ["discord:*:{GUILD_ID}"]',
        "utf-8",
    )
    assert (
        main(
            ["migrate", "--config", str(config), "--db", f"sqlite+aiosqlite:///{tmp_path / 'y.db'}"]
        )
        == 0
    )


async def test_slack_groups_lists_the_ids_to_grant(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        group = fake.add_usergroup("equipe-federale", ["U1", "U2"], name="Équipe fédérale")
        raw = {"slack": {"api_base_url": fake.api_url}}
        config = make_config(tmp_path, raw, SLACK_BOT_TOKEN=DEFAULT_BOT_TOKEN)
        db = Database.open(config.bot.database_url, migration_dirs())
        await db.migrate()
        try:
            lines = await group_lines(config, db)
        finally:
            await db.close()
    assert lines == [
        f"workspace {DEFAULT_TEAM_ID}  {fake.workspaces[DEFAULT_BOT_TOKEN].team_name}  "
        "(in federation.slack_teams)",
        f"  slack:{DEFAULT_TEAM_ID}:{group['id']}  @equipe-federale  Équipe fédérale (2 members)",
    ]


async def test_discord_roles_lists_the_ids_to_grant(tmp_path: Path) -> None:
    fake = fake_discord()
    async with fake:
        config = discord_config(tmp_path, fake)
        async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
            lines = await role_lines(app)
    assert lines[0] == f"server {GUILD}  Fédération  (in federation.discord_guilds)"
    assert f"  discord:{GUILD}:{STAFF_ROLE}  @Équipe fédérale" in lines

"""A stranger's Slack workspace: installing the app, naming a group like the federation's,
typing every command, clicking, sending events. Nothing runs, nothing is written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fedbot.cli import main
from tests.fakes.slack_server import (
    DEFAULT_BOT_TOKEN,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TEAM_ID,
    FakeSlack,
)
from tests.security.support import changed, oauth_install, snapshot
from tests.slack_harness import STAFF, SlackBot, add_people, slack_bot

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

OAUTH = {"SLACK_CLIENT_ID": DEFAULT_CLIENT_ID, "SLACK_CLIENT_SECRET": DEFAULT_CLIENT_SECRET}
STRANGER_TEAM = "T0STRANGER"
STRANGER = "U0MALLORY1"
STRANGER_TOKEN = "xoxb-stranger"
FEDERATION = {"slack_teams": [DEFAULT_TEAM_ID]}
ROLES = {"staff": [f"slack:{DEFAULT_TEAM_ID}:{STAFF}"]}

# Everything a stranger would try, each a command a member of the federation may use.
ATTEMPTS = [
    ("/announce", 'send text:"Offre spéciale !" to:all'),
    ("/event", "rsvp 1 going"),
    ("/event", "list"),
    ("/faq", "ask comment adhérer ?"),
    ("/faq", "ask une question que personne ne connaît"),
    ("/match", "find"),
    ("/match", "introduce member:1"),
    ("/profile", 'set interests:"tiers-lieux" match:yes'),
    ("/digest", 'create schedule:"daily 9h"'),
    ("/agency", 'add name:"Agence pirate" region:Nulle-part'),
    ("/help", ""),
]


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        add_people(server)
        server.add_oauth_code(
            "code-stranger", token=STRANGER_TOKEN, team_id=STRANGER_TEAM, team_name="Pirates"
        )
        server.add_user(STRANGER, team_id=STRANGER_TEAM, locale="en-US", name="mallory")
        # The stranger names a group like the one the README once recommended.
        server.add_usergroup("equipe-federale", [STRANGER], team_id=STRANGER_TEAM)
        yield server


async def _demo(bot: SlackBot) -> None:
    await bot.app.load_demo()


async def _stranger_tries_everything(bot: SlackBot) -> list[str]:
    replies = []
    for command, text in ATTEMPTS:
        response = await bot.http.slash_command(
            command=command, text=text, team_id=STRANGER_TEAM, user_id=STRANGER
        )
        assert response.status == 200
        replies.append(response.body["text"])
    return replies


async def test_an_install_from_outside_is_pending_and_its_commands_are_refused(
    tmp_path: Path, fake: FakeSlack
) -> None:
    env = {**OAUTH, "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN}
    async with slack_bot(tmp_path, fake, env=env, federation=FEDERATION, roles=ROLES) as bot:
        await _demo(bot)
        status, page = await oauth_install(bot.app.web.base_url, "code-stranger", lang="en")
        assert status == 200 and "not on the federation's list yet" in page
        before = await snapshot(bot.app, exclude=("slack_installations", "workspaces"))
        replies = await _stranger_tries_everything(bot)
        click = await bot.http.block_action(
            action_id="announce.confirm", value="id=1", team_id=STRANGER_TEAM, user_id=STRANGER
        )
        # "Add to FAQ" in a message's menu, on a reply in one of the stranger's threads.
        root = fake.add_message("C0PIRATE", "Comment gagner au loto ?", team_id=STRANGER_TEAM)
        answer = fake.add_message(
            "C0PIRATE", "Achetez nos tickets.", thread_ts=root["ts"], team_id=STRANGER_TEAM
        )
        shortcut = await bot.http.message_action(
            callback_id="faq.from_message",
            message=answer,
            team_id=STRANGER_TEAM,
            user_id=STRANGER,
            channel_id="C0PIRATE",
        )
        event = await bot.http.event(
            event={"type": "message", "user": STRANGER, "text": "comment adhérer ?",
                   "channel": "C0PIRATE", "ts": "1.1"},
            team_id=STRANGER_TEAM,
        )  # fmt: skip
        after = await snapshot(bot.app, exclude=("slack_installations", "workspaces"))
        pending = await bot.app.services.federation.overview()

    refusal = "Sorry, fedbot only serves the workspaces of the federation"
    assert all(refusal in reply for reply in replies), replies
    assert (click.status, event.status, shortcut.status) == (200, 200, 200)
    assert changed(before, after) == []  # no member, no question, no RSVP, no draft
    assert [(w.workspace_id, w.status) for w in pending if w.platform == "slack"] == [
        (DEFAULT_TEAM_ID, "listed"),
        (STRANGER_TEAM, "pending"),
    ]
    # The refusal went to the click's and the shortcut's response_url too, and nothing was
    # posted anywhere.
    posted = [str(p.body) for p in await fake.wait_for_response_url_post(count=2)]
    assert len(posted) == 2 and all("fedbot only serves" in text for text in posted), posted
    assert fake.calls_to("chat.postMessage") == []


async def test_approval_by_an_admin_lets_the_workspace_in(tmp_path: Path, fake: FakeSlack) -> None:
    env = {**OAUTH, "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN}
    raw_roles = {**ROLES, "admin": [f"slack:{DEFAULT_TEAM_ID}:{STAFF}"]}
    async with slack_bot(tmp_path, fake, env=env, federation=FEDERATION, roles=raw_roles) as bot:
        await oauth_install(bot.app.web.base_url, "code-stranger")
        refused = await bot.http.slash_command(
            command="/ping", team_id=STRANGER_TEAM, user_id=STRANGER
        )
        approved = await bot.http.slash_command(
            command="/workspace", text=f"approve {STRANGER_TEAM}", user_id=STRANGER
        )  # the stranger cannot approve themself: refused in their own workspace…
        by_admin = await bot.http.slash_command(
            command="/workspace", text=f"approve {STRANGER_TEAM}", user_id=STAFF
        )
        welcome = await bot.http.slash_command(
            command="/ping", team_id=STRANGER_TEAM, user_id=STRANGER
        )
        # …and in the federation's workspace they are nobody.
        await bot.http.slash_command(
            command="/workspace", text=f"refuse {STRANGER_TEAM}", user_id=STAFF
        )
        gone = await bot.http.slash_command(
            command="/ping", team_id=STRANGER_TEAM, user_id=STRANGER
        )

    assert "Sorry, fedbot only serves" in refused.body["text"]
    assert "réservée aux administrateurs" in approved.body["text"]
    assert by_admin.body["text"].startswith("Slack T0STRANGER fait désormais partie")
    assert welcome.body["text"].startswith("Pong! fedbot is running")
    assert "Sorry, fedbot only serves" in gone.body["text"]


async def test_a_refusing_federation_keeps_no_token(tmp_path: Path, fake: FakeSlack) -> None:
    federation = {**FEDERATION, "unlisted_installs": "refuse"}
    env = {**OAUTH, "SLACK_BOT_TOKEN": ""}
    async with slack_bot(tmp_path, fake, env=env, federation=federation) as bot:
        status, page = await oauth_install(bot.app.web.base_url, "code-stranger")
        assert bot.adapter.store is not None
        kept = await bot.adapter.store.async_find_bot(enterprise_id=None, team_id=STRANGER_TEAM)
        rows = await snapshot(bot.app)

    assert status == 403 and "n'appartient pas à la fédération" in page
    assert kept is None
    assert rows["slack_installations"] == [] and rows["workspaces"] == []


async def test_an_invite_link_admits_one_workspace_once(tmp_path: Path, fake: FakeSlack) -> None:
    fake.add_oauth_code("code-agency", token="xoxb-agency", team_id="T0AGENCY", team_name="Agence")
    fake.add_oauth_code("code-again", token="xoxb-other", team_id="T0OTHER", team_name="Autre")
    federation = {**FEDERATION, "require_invite": True}
    env = {**OAUTH, "SLACK_BOT_TOKEN": ""}
    async with slack_bot(tmp_path, fake, env=env, federation=federation) as bot:
        base = bot.app.web.base_url
        repo = bot.app.services.federation.repo
        no_invite, page = await oauth_install(base, "code-stranger")
        forged, _ = await oauth_install(base, "code-stranger", invite="made-up")
        token = await repo.create_invite("slack", bot.app.clock.now(), _hours(72))
        invited, welcome = await oauth_install(base, "code-agency", invite=token)
        reused, _ = await oauth_install(base, "code-again", invite=token)
        statuses = {w.workspace_id: w.status for w in await bot.app.services.federation.overview()}

    assert (no_invite, forged, reused) == (403, 403, 403)
    assert "se fait sur invitation" in page
    assert invited == 200 and "fedbot est installé" in welcome
    assert statuses == {DEFAULT_TEAM_ID: "listed", "T0AGENCY": "approved"}


async def test_an_enterprise_org_admits_its_workspaces(tmp_path: Path, fake: FakeSlack) -> None:
    fake.add_user("U0ORGUSER1", team_id="T0ORGTEAM", locale="fr-FR")
    federation = {"slack_teams": [DEFAULT_TEAM_ID], "slack_enterprises": ["E0FEDORG"]}
    async with slack_bot(tmp_path, fake, federation=federation) as bot:
        inside = await bot.http.slash_command(
            command="/ping", team_id="T0ORGTEAM", user_id="U0ORGUSER1", enterprise_id="E0FEDORG"
        )
        outside = await bot.http.slash_command(
            command="/ping", team_id="T0ORGTEAM", user_id="U0ORGUSER1", enterprise_id="E0ELSE"
        )
    assert inside.body["text"].startswith("Pong !")
    assert "Désolé, fedbot ne sert que" in outside.body["text"]


def test_the_cli_approves_and_lists_workspaces(tmp_path: Path, capsys) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    assert main(["workspaces", "approve", "T0NEWAGENCY", "--db", db]) == 0
    assert main(["workspaces", "approve", "123456789012345678", "--db", db]) == 0
    assert main(["workspaces", "refuse", "T0NEWAGENCY", "--db", db]) == 0
    assert main(["workspaces", "approve", "equipe-federale", "--db", db]) == 2
    assert main(["workspaces", "list", "--db", db]) == 0
    out = capsys.readouterr()
    assert "is not a workspace id" in out.err
    listing = [
        line.split() for line in out.out.splitlines() if line.startswith(("approved", "refused"))
    ]
    assert listing == [
        ["approved", "discord", "123456789012345678"],
        ["refused", "slack", "T0NEWAGENCY"],
    ]


def _hours(n: int):
    from datetime import timedelta

    return timedelta(hours=n)

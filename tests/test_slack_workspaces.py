"""Several workspaces: OAuth install into our database, a token per workspace, uninstall."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation

from adapters.slack.installations import InstallationStore
from bot.errors import SendError
from bot.identity import ChannelRef
from bot.messages import Message
from tests.fakes.slack_server import (
    DEFAULT_BOT_TOKEN,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TEAM_ID,
    FakeSlack,
)
from tests.slack_harness import ALICE, SlackBot, add_people, slack_bot

OAUTH = {"SLACK_CLIENT_ID": DEFAULT_CLIENT_ID, "SLACK_CLIENT_SECRET": DEFAULT_CLIENT_SECRET}
TOKENS = {"T1": "xoxb-team-one", "T2": "xoxb-team-two"}
FEDERATION = {"slack_teams": [DEFAULT_TEAM_ID, "T1", "T2", "TNEW"]}

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    workspaces = {token: {"team_id": team} for team, token in TOKENS.items()}
    workspaces[DEFAULT_BOT_TOKEN] = {"team_id": DEFAULT_TEAM_ID}
    async with FakeSlack(workspaces=workspaces) as server:
        for team in TOKENS:
            server.add_user(f"U{team}USER", team_id=team, locale="en-US")
        add_people(server)
        yield server


def store(bot: SlackBot) -> InstallationStore:
    assert bot.adapter.store is not None
    return bot.adapter.store


async def install(bot: SlackBot, fake: FakeSlack, team: str) -> None:
    ws = fake.workspaces[TOKENS[team]]
    await store(bot).async_save(
        Installation(
            app_id=ws.app_id,
            team_id=team,
            team_name=ws.team_name,
            bot_token=TOKENS[team],
            bot_id=ws.bot_id,
            bot_user_id=ws.user_id,
            bot_scopes="commands,chat:write",
            user_id=f"U{team}USER",
        )
    )


async def test_each_workspace_is_answered_with_its_own_token(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with slack_bot(
        tmp_path, fake, env={**OAUTH, "SLACK_BOT_TOKEN": ""}, federation=FEDERATION
    ) as bot:
        for team in TOKENS:
            await install(bot, fake, team)
        for team in ("T1", "T2", "T1"):
            resp = await bot.http.slash_command(
                command="/ping", team_id=team, user_id=f"U{team}USER"
            )
            assert resp.body["text"].startswith("Pong! fedbot is running")
        for team in TOKENS:
            await bot.app.outbound.send(ChannelRef("slack", team, f"C{team}"), Message("hello"))

    lookups = [(c.params["user"], c.token) for c in fake.calls_to("users.info")]
    assert lookups == [("UT1USER", TOKENS["T1"]), ("UT2USER", TOKENS["T2"])]  # then cached
    posts = [(c.params["channel"], c.token) for c in fake.calls_to("chat.postMessage")]
    assert posts == [("CT1", TOKENS["T1"]), ("CT2", TOKENS["T2"])]
    # bolt's authorization asks auth.test once per token, not once per command
    assert sorted(c.token or "" for c in fake.calls_to("auth.test")) == sorted(TOKENS.values())


async def test_uninstall_and_revocation_forget_the_token(tmp_path: Path, fake: FakeSlack) -> None:
    async with slack_bot(
        tmp_path, fake, env={**OAUTH, "SLACK_BOT_TOKEN": ""}, federation=FEDERATION
    ) as bot:
        for team in TOKENS:
            await install(bot, fake, team)
        gone = await bot.http.event(event={"type": "app_uninstalled"}, team_id="T2")
        revoked = await bot.http.event(
            event={"type": "tokens_revoked", "tokens": {"bot": ["UBOT1"]}}, team_id="T1"
        )
        with pytest.raises(SendError) as caught:
            await bot.app.outbound.send(ChannelRef("slack", "T2", "CT2"), Message("hello"))
        url = fake.response_url(team_id="T2")
        refused = await bot.http.slash_command(
            command="/ping", team_id="T2", user_id="UT2USER", response_url=url
        )
        [notice] = await fake.wait_for_response_url_post(url)
        remaining = await store(bot).workspaces()

    assert (gone.status, revoked.status) == (200, 200)
    assert remaining == []
    assert caught.value.permanent
    assert refused.status == 200
    assert notice.body["text"].startswith("fedbot n'est pas (ou plus) installé")


async def test_oauth_install_flow_stores_the_workspace(tmp_path: Path, fake: FakeSlack) -> None:
    fake.add_oauth_code("code-1", token="xoxb-new-team", team_id="TNEW", team_name="Nouvelle")
    fake.add_user("UNEWUSER", team_id="TNEW", locale="fr-FR")
    async with slack_bot(
        tmp_path, fake, env={**OAUTH, "SLACK_BOT_TOKEN": ""}, federation=FEDERATION
    ) as bot:
        base = bot.app.web.base_url
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/slack/install") as page:
                html = await page.text()
                cookie = page.headers["Set-Cookie"].split(";")[0]
            authorize = re.search(r'href="(https://slack.com/oauth/v2/authorize[^"]+)"', html)
            assert authorize is not None
            query = urllib.parse.parse_qs(
                urllib.parse.urlparse(authorize[1].replace("&amp;", "&")).query
            )
            state = query["state"][0]
            callback = f"{base}/slack/oauth_redirect?code=code-1&state={state}"
            async with session.get(callback, headers={"Cookie": cookie}) as done:
                done_status = done.status
            async with session.get(callback, headers={"Cookie": cookie}) as replay:
                replay_status = replay.status
        resp = await bot.http.slash_command(command="/ping", team_id="TNEW", user_id="UNEWUSER")
        installed = await store(bot).async_find_bot(enterprise_id=None, team_id="TNEW")

    assert page.status == 200
    assert query["client_id"] == [DEFAULT_CLIENT_ID]
    assert "commands" in query["scope"][0] and "usergroups:read" in query["scope"][0]
    assert done_status == 200
    assert replay_status >= 400  # a state is single use
    assert installed is not None and installed.bot_token == "xoxb-new-team"
    assert resp.body["text"].startswith("Pong ! fedbot fonctionne")
    assert fake.last_call("users.info").token == "xoxb-new-team"


async def test_the_environment_token_still_serves_its_workspace(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with slack_bot(tmp_path, fake, env=OAUTH) as bot:
        adopted = await store(bot).async_find_bot(enterprise_id=None, team_id=DEFAULT_TEAM_ID)
        resp = await bot.http.slash_command(command="/ping", user_id=ALICE)

    assert adopted is not None and adopted.bot_token == DEFAULT_BOT_TOKEN
    assert resp.body["text"].startswith("Pong ! fedbot fonctionne")

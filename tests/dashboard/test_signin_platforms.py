"""Sign in with Slack (OpenID Connect) and with Discord (OAuth2), over the wire against the fake
Slack and Discord servers: who the platform says signed in, their groups, the federation's
allow-list, the language, and the ways a sign-in goes wrong."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.clock import FixedClock
from tests.conftest import T0
from tests.dashboard.support import client, web_bot
from tests.fakes.discord_server import (
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
)
from tests.fakes.slack_server import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TEAM_ID,
    FakeSlack,
)
from tests.slack_harness import slack_bot

SAM, ALICE = "U0SAM0001", "U0ALICE01"
GUILD = 3_000_000_000_000_000_001  # a federation server (tests.conftest.TEST_FEDERATION)
STAFF_ROLE = 3_000_000_000_000_000_500
DORA, ERIC, OTTO = 3_000_000_000_000_000_601, 3_000_000_000_000_000_602, 3_000_000_000_000_000_603


def slack_raw(fake: FakeSlack) -> dict:
    return {
        "slack": {"api_base_url": fake.api_url},
        "dashboard": {"slack_authorize_url": fake.authorize_url},
        "roles": {"staff": [f"slack:{DEFAULT_TEAM_ID}:{SAM}"]},
    }


SLACK_APP = {"SLACK_CLIENT_ID": DEFAULT_CLIENT_ID, "SLACK_CLIENT_SECRET": DEFAULT_CLIENT_SECRET}


async def test_slack_sign_in_gives_the_same_rights_as_chat_in_the_users_language(
    tmp_path: Path,
) -> None:
    async with FakeSlack() as fake:
        fake.add_user(SAM, name="sam", real_name="Sam Martin", locale="en-US")
        fake.sign_in_as(SAM)
        async with web_bot(tmp_path, slack_raw(fake), env=SLACK_APP) as app, client(app) as b:
            signin = await b.get("/admin/signin")
            assert signin.has("Se connecter avec Slack") and not signin.has(
                "Se connecter avec Discord"
            )
            page = await b.get("/admin/signin/slack")
            assert page.status == 200 and '<html lang="en">' in page.text
            assert page.has("Overview") and page.has("Sam Martin")
            (authorize,) = [c for c in fake.calls if c.method == "openid.connect.token"]
            assert authorize.ok and authorize.params["client_id"] == DEFAULT_CLIENT_ID
            assert [c.ok for c in fake.calls if c.method == "openid.connect.userInfo"] == [True]
            member = await app.services.members.find("slack", DEFAULT_TEAM_ID, SAM)
            assert member is not None and member.display_name == "Sam Martin"


async def test_the_authorize_request_asks_slack_for_openid_only(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        async with web_bot(tmp_path, slack_raw(fake), env=SLACK_APP) as app, client(app) as b:
            start = await b.get("/admin/signin/slack", follow=False)
            target = urlsplit(start.headers["Location"])
            query = parse_qs(target.query)
            assert f"{target.scheme}://{target.netloc}{target.path}" == fake.authorize_url
            assert query["scope"] == ["openid profile"] and query["response_type"] == ["code"]
            assert query["redirect_uri"] == [f"{app.web.base_url}/admin/signin/slack/callback"]
            assert "HttpOnly" in start.headers["Set-Cookie"]  # the state, bound to this browser


async def test_a_slack_member_of_no_grant_lands_on_their_own_page(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        fake.add_user(ALICE, name="alice", locale="fr-FR")
        fake.sign_in_as(ALICE)
        async with web_bot(tmp_path, slack_raw(fake), env=SLACK_APP) as app, client(app) as b:
            page = await b.get("/admin/signin/slack")
            assert page.url.endswith("/admin/me") and page.has("Mon profil")
            assert (await b.get("/admin/announcements")).status == 403


async def test_a_slack_user_of_another_workspace_is_refused(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        fake.add_user("U0OUT0001", team_id="T0STRANGER", name="out")
        fake.sign_in_as("U0OUT0001")
        async with web_bot(tmp_path, slack_raw(fake), env=SLACK_APP) as app, client(app) as b:
            page = await b.get("/admin/signin/slack")
            assert page.status == 403 and page.has("n'appartient à aucun espace")
            assert await app.services.members.find("slack", "T0STRANGER", "U0OUT0001") is None


async def test_cancelling_or_replaying_a_sign_in_opens_nothing(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        fake.add_user(SAM, name="sam")
        fake.sign_in_as(SAM, consent=False)
        async with web_bot(tmp_path, slack_raw(fake), env=SLACK_APP) as app, client(app) as b:
            cancelled = await b.get("/admin/signin/slack")
            assert cancelled.has("Connexion annulée")
            fake.sign_in_as(SAM)
            start = await b.get("/admin/signin/slack", follow=False)
            consent = await b.get(start.headers["Location"], follow=False)
            callback = consent.headers["Location"]
            async with client(app) as other_browser:  # the code, without this browser's state
                stolen = await other_browser.get(callback)
                assert stolen.status == 400 and stolen.has("expiré ou a déjà servi")
            assert (await b.get(callback)).url.endswith("/admin/")
            replayed = await b.get(callback)  # a state serves once
            assert replayed.status == 400


async def test_slack_user_groups_grant_on_the_web_while_the_adapter_runs(tmp_path: Path) -> None:
    """Sign in with Slack says nothing of user groups: the running adapter does, from the same
    cache as chat, and a group left on Slack stops granting within a minute on the web too."""
    async with FakeSlack() as fake:
        fake.add_user(SAM, name="sam", locale="fr-FR")
        group = fake.add_usergroup("equipe", [SAM])
        fake.sign_in_as(SAM)
        extra = {"dashboard": {"slack_authorize_url": fake.authorize_url}}
        roles = {"staff": [f"slack:{DEFAULT_TEAM_ID}:{group['id']}"]}
        async with slack_bot(
            tmp_path,
            fake,
            roles=roles,
            env=SLACK_APP,
            extra=extra,
            slack={"group_cache_seconds": 1},
        ) as bot:  # Slack in HTTP mode: the adapter starts the web server
            assert isinstance(bot.app.clock, FixedClock)
            async with client(bot.app) as b:
                assert (await b.get("/admin/signin/slack")).has("Vue d'ensemble")
                group["users"] = []
                await asyncio.sleep(1.1)  # the adapter's group cache
                bot.app.clock.set(T0.replace(minute=2))  # the session's minute
                assert (await b.get("/admin/announcements")).status == 403


def discord_fake() -> FakeDiscord:
    staff = FakeUser(DORA, "dora", "Dora", locale="fr")
    member = FakeUser(ERIC, "eric", "Eric", locale="en-GB")
    guild = FakeGuild(
        id=GUILD,
        name="Fédération",
        channels=[FakeChannel(GUILD + 1, "general")],
        roles=[FakeRole(STAFF_ROLE, "équipe")],
        members=[FakeMember(staff, roles=[STAFF_ROLE]), FakeMember(member)],
    )
    elsewhere = FakeGuild(
        id=GUILD + 7, name="Ailleurs", members=[FakeMember(FakeUser(OTTO, "otto"))]
    )
    return FakeDiscord(guilds=[guild, elsewhere], patch_discord=False)


def discord_setup(fake: FakeDiscord) -> tuple[dict, dict[str, str]]:
    raw = {
        "discord": {"api_base_url": fake.api_base},
        "dashboard": {"discord_authorize_url": fake.authorize_url},
        "roles": {"staff": [f"discord:{GUILD}:{STAFF_ROLE}"]},
    }
    env = {
        "DISCORD_CLIENT_ID": str(fake.application_id),
        "DISCORD_CLIENT_SECRET": fake.client_secret,
    }
    return raw, env


async def test_discord_sign_in_reads_the_roles_of_the_federation_server(tmp_path: Path) -> None:
    async with discord_fake() as fake:
        raw, env = discord_setup(fake)
        async with web_bot(tmp_path, raw, env=env) as app:
            fake.sign_in_as(DORA)
            async with client(app) as b:
                page = await b.get("/admin/signin/discord")
                assert page.has("Vue d'ensemble") and page.has("Dora")
            fake.sign_in_as(ERIC)
            async with client(app) as b:
                page = await b.get("/admin/signin/discord")
                assert page.url.endswith("/admin/me") and '<html lang="en">' in page.text
                assert (await b.get("/admin/")).url.endswith("/admin/me")
            token_calls = [r for r in fake.requests if r.path == "/oauth2/token"]
            assert all(r.headers["Authorization"].startswith("Basic ") for r in token_calls)
            asked = {r.path for r in fake.requests if r.method == "GET"}
            assert f"/users/@me/guilds/{GUILD}/member" in asked
            assert f"/users/@me/guilds/{GUILD + 7}/member" not in asked  # not a federation one
            assert fake.protocol_errors == []


async def test_discord_user_in_no_federation_server_is_refused(tmp_path: Path) -> None:
    async with discord_fake() as fake:
        raw, env = discord_setup(fake)
        async with web_bot(tmp_path, raw, env=env) as app, client(app) as b:
            fake.sign_in_as(OTTO)
            page = await b.get("/admin/signin/discord")
            assert page.status == 403 and page.has("n'appartient à aucun espace")


async def test_a_platform_refusing_the_code_is_said_plainly(tmp_path: Path) -> None:
    async with discord_fake() as fake:
        raw, env = discord_setup(fake)
        env["DISCORD_CLIENT_SECRET"] = "not-the-secret"
        async with web_bot(tmp_path, raw, env=env) as app, client(app) as b:
            fake.sign_in_as(DORA)
            page = await b.get("/admin/signin/discord")
            assert page.status == 502 and page.has("La plateforme a refusé la connexion")
            assert (await b.get("/admin/me", follow=False)).status == 303

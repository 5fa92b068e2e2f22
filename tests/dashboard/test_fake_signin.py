"""The fakes' sign-in endpoints answer as Slack and Discord do, mistakes included: the
dashboard's tests are only as good as these."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp

from tests.fakes.discord_server import FakeDiscord, FakeGuild, FakeMember, FakeUser
from tests.fakes.slack_server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeSlack

BACK = "http://127.0.0.1:9/callback"


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


async def consent(http: aiohttp.ClientSession, url: str, **query: str) -> dict[str, list[str]]:
    async with http.get(f"{url}?{urlencode(query)}", allow_redirects=False) as r:
        assert r.status == 302, await r.text()
        target = urlsplit(r.headers["Location"])
        assert f"{target.scheme}://{target.netloc}{target.path}" == BACK
        return parse_qs(target.query)


async def test_slack_openid_codes_are_single_use_and_bound_to_their_redirect() -> None:
    async with FakeSlack() as fake, aiohttp.ClientSession() as http:
        fake.add_user("U0SAM0001", name="sam", real_name="Sam Martin", locale="fr-FR")
        fake.sign_in_as("U0SAM0001")
        query = {"response_type": "code", "scope": "openid profile", "client_id": DEFAULT_CLIENT_ID,
                 "redirect_uri": BACK, "state": "s1"}  # fmt: skip
        answer = await consent(http, fake.authorize_url, **query)
        assert answer["state"] == ["s1"]
        elsewhere = "http://127.0.0.1:9/elsewhere"
        form = {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET,
                "code": answer["code"][0], "redirect_uri": elsewhere}  # fmt: skip
        async with http.post(fake.api_url + "openid.connect.token", data=form) as r:
            assert (await r.json()) == {"ok": False, "error": "bad_redirect_uri"}
        answer = await consent(http, fake.authorize_url, **query)
        form.update(code=answer["code"][0], redirect_uri=BACK)
        async with http.post(fake.api_url + "openid.connect.token", data=form) as r:
            token = await r.json()
        assert token["ok"] and token["token_type"] == "Bearer" and token["id_token"].count(".") == 2
        async with http.post(fake.api_url + "openid.connect.token", data=form) as r:
            assert (await r.json())["error"] == "invalid_code"  # spent
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        async with http.post(fake.api_url + "openid.connect.userInfo", headers=headers) as r:
            claims = await r.json()
        assert claims["https://slack.com/user_id"] == "U0SAM0001"
        assert claims["https://slack.com/team_id"] == "T0FAKE001"
        assert (claims["name"], claims["locale"]) == ("Sam Martin", "fr-FR")
        headers = {"Authorization": "Bearer xoxb-fake-T0FAKE001"}  # a bot token is not a user's
        async with http.post(fake.api_url + "openid.connect.userInfo", headers=headers) as r:
            assert (await r.json())["error"] == "invalid_auth"


async def test_slack_refuses_a_wrong_client_or_scope_on_its_own_page() -> None:
    async with FakeSlack() as fake, aiohttp.ClientSession() as http:
        for query in (
            {"response_type": "code", "scope": "openid", "client_id": "nope", "redirect_uri": BACK},
            {"response_type": "code", "scope": "chat:write", "client_id": DEFAULT_CLIENT_ID,
             "redirect_uri": BACK},
        ):  # fmt: skip
            async with http.get(
                f"{fake.authorize_url}?{urlencode(query)}", allow_redirects=False
            ) as r:
                assert r.status == 400 and "Location" not in r.headers


async def test_discord_oauth_checks_the_client_the_code_and_the_scopes() -> None:
    user = FakeUser(3_000_000_000_000_000_601, "dora", "Dora", locale="fr")
    guild = FakeGuild(id=3_000_000_000_000_000_001, members=[FakeMember(user, roles=[42])])
    async with FakeDiscord(guilds=[guild], patch_discord=False) as fake:
        fake.sign_in_as(user.id)
        async with aiohttp.ClientSession() as http:
            query = {"response_type": "code", "client_id": str(fake.application_id),
                     "scope": "identify", "redirect_uri": BACK, "state": "s"}  # fmt: skip
            code = (await consent(http, fake.authorize_url, **query))["code"][0]
            token_url = f"{fake.api_base}/oauth2/token"
            form = {"grant_type": "authorization_code", "code": code, "redirect_uri": BACK}
            wrong = basic(str(fake.application_id), "wrong")
            async with http.post(token_url, data=form, headers={"Authorization": wrong}) as r:
                assert r.status == 401 and (await r.json())["error"] == "invalid_client"
            right = basic(str(fake.application_id), fake.client_secret)
            async with http.post(token_url, data=form, headers={"Authorization": right}) as r:
                token = await r.json()
            assert token["scope"] == "identify" and token["expires_in"] == 604_800
            async with http.post(token_url, data=form, headers={"Authorization": right}) as r:
                assert r.status == 400 and (await r.json())["error"] == "invalid_grant"
            bearer = {"Authorization": f"Bearer {token['access_token']}"}
            async with http.get(f"{fake.api_base}/users/@me", headers=bearer) as r:
                me = await r.json()
            assert (me["id"], me["locale"]) == (str(user.id), "fr")
            member_url = f"{fake.api_base}/users/@me/guilds/{guild.id}/member"
            async with http.get(member_url, headers=bearer) as r:  # scope not granted
                assert r.status == 403 and (await r.json())["code"] == 50001
            query["scope"] = "identify guilds guilds.members.read"
            code = (await consent(http, fake.authorize_url, **query))["code"][0]
            form["code"] = code
            async with http.post(token_url, data=form, headers={"Authorization": right}) as r:
                bearer = {"Authorization": f"Bearer {(await r.json())['access_token']}"}
            async with http.get(member_url, headers=bearer) as r:
                assert (await r.json())["roles"] == ["42"]
            async with http.get(f"{fake.api_base}/users/@me/guilds/1/member", headers=bearer) as r:
                assert r.status == 404 and (await r.json())["code"] == 10004

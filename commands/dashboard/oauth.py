"""Sign in with Slack (OpenID Connect) and with Discord (OAuth2): who the person is, from the
platform itself.

Slack: the browser goes to `slack.com/openid/connect/authorize` (scopes `openid profile`); the
code comes back and is exchanged server-side (`openid.connect.token`, with the app's client id
and secret), and the person is read from `openid.connect.userInfo` with the token just received
(over TLS, straight from Slack: the ID token is not needed to trust it).

Discord: `discord.com/oauth2/authorize` with the scopes `identify` (who), `guilds` (which
servers) and `guilds.members.read` (their roles in a federation server); the code is exchanged
at `/oauth2/token`, then `/users/@me`, `/users/@me/guilds` and, for each federation server they
are in, `/users/@me/guilds/{guild}/member`.

Tokens are used once and not kept. Base URLs come from config, so tests use the fake servers.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.config import Config
from bot.i18n import normalise_lang
from commands.dashboard.store.sessions import Identity

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=15)
SLACK_SCOPES = "openid profile"
DISCORD_SCOPES = "identify guilds guilds.members.read"


class SignInError(Exception):
    """The platform refused or could not be reached; `key` is the message to show."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(detail or key)
        self.key = key


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who the platform says signed in: one identity per federation workspace they are in."""

    identities: tuple[Identity, ...]
    lang: str


Admits = Callable[[str, str], Awaitable[bool]]


async def _json(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except ValueError:
        raise SignInError("dashboard.signin.refused", f"HTTP {response.status}") from None


class Provider:
    name = ""

    def __init__(self, config: Config) -> None:
        self.config = config

    @property
    def enabled(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def client_id(self) -> str:
        return getattr(self.config.secrets, f"{self.name}_client_id") or ""

    @property
    def client_secret(self) -> str:
        return getattr(self.config.secrets, f"{self.name}_client_secret") or ""

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        raise NotImplementedError

    async def sign_in(self, code: str, redirect_uri: str, admits: Admits) -> SignedIn:
        try:
            async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
                return await self._sign_in(http, code, redirect_uri, admits)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("%s sign-in: %s", self.name, type(exc).__name__)
            raise SignInError("dashboard.signin.unreachable", str(exc)) from None

    async def _sign_in(
        self, http: aiohttp.ClientSession, code: str, redirect_uri: str, admits: Admits
    ) -> SignedIn:
        raise NotImplementedError


class SlackSignIn(Provider):
    name = "slack"

    @property
    def api(self) -> str:
        return self.config.slack.api_base_url.rstrip("/") + "/"

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        query = {
            "response_type": "code",
            "scope": SLACK_SCOPES,
            "client_id": self.client_id,
            "state": state,
            "redirect_uri": redirect_uri,
        }
        return f"{self.config.dashboard.slack_authorize_url}?{urlencode(query)}"

    async def _sign_in(
        self, http: aiohttp.ClientSession, code: str, redirect_uri: str, admits: Admits
    ) -> SignedIn:
        form = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
            "grant_type": "authorization_code",
        }
        async with http.post(self.api + "openid.connect.token", data=form) as response:
            token = await _json(response)
        if not token.get("ok") or not token.get("access_token"):
            raise SignInError("dashboard.signin.refused", str(token.get("error")))
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        async with http.post(self.api + "openid.connect.userInfo", headers=headers) as response:
            claims = await _json(response)
        if not claims.get("ok"):
            raise SignInError("dashboard.signin.refused", str(claims.get("error")))
        team = str(claims.get("https://slack.com/team_id") or "")
        user = str(claims.get("https://slack.com/user_id") or "")
        if not (team and user):
            raise SignInError("dashboard.signin.refused", "no team or user in userInfo")
        identity = Identity(
            "slack",
            team,
            user,
            display_name=str(claims.get("name") or claims.get("given_name") or "")[:120],
            organisation=claims.get("https://slack.com/enterprise_id") or None,
        )
        return SignedIn((identity,), normalise_lang(claims.get("locale")))


class DiscordSignIn(Provider):
    name = "discord"

    @property
    def api(self) -> str:
        return self.config.discord.api_base_url.rstrip("/")

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "scope": DISCORD_SCOPES,
            "state": state,
            "redirect_uri": redirect_uri,
            "prompt": "none",
        }
        return f"{self.config.dashboard.discord_authorize_url}?{urlencode(query)}"

    async def _sign_in(
        self, http: aiohttp.ClientSession, code: str, redirect_uri: str, admits: Admits
    ) -> SignedIn:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        pair = f"{self.client_id}:{self.client_secret}".encode()
        basic = {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        async with http.post(f"{self.api}/oauth2/token", data=form, headers=basic) as response:
            token = await _json(response)
            if response.status != 200 or not token.get("access_token"):
                raise SignInError("dashboard.signin.refused", str(token.get("error")))
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        me = await self._get(http, "/users/@me", headers)
        guilds = await self._get(http, "/users/@me/guilds", headers)
        user_id = str(me["id"])
        name = str(me.get("global_name") or me.get("username") or "")[:120]
        identities = []
        for guild in guilds:
            guild_id = str(guild.get("id", ""))
            if not await admits("discord", guild_id):
                continue
            member = await self._get(http, f"/users/@me/guilds/{guild_id}/member", headers)
            roles = frozenset(str(r) for r in member.get("roles") or ())
            identities.append(Identity("discord", guild_id, user_id, name, groups=roles))
        return SignedIn(tuple(identities), normalise_lang(me.get("locale")))

    async def _get(self, http: aiohttp.ClientSession, path: str, headers: dict[str, str]) -> Any:
        async with http.get(self.api + path, headers=headers) as response:
            body = await _json(response)
            if response.status != 200:
                raise SignInError("dashboard.signin.refused", f"{path}: HTTP {response.status}")
        return body


def providers(config: Config) -> dict[str, Provider]:
    return {p.name: p for p in (SlackSignIn(config), DiscordSignIn(config))}

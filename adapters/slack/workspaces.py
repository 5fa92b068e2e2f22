"""Which bot token speaks for which workspace.

Single workspace (the simple default): `SLACK_BOT_TOKEN`; `auth.test` tells once which
workspace it belongs to, and a send for any other workspace fails permanently instead of
posting with the wrong token. Several workspaces (OAuth): the token installed for each one,
from our database.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator

from adapters.slack.installations import InstallationStore
from adapters.slack.webapi import WebApi
from bot.errors import ConfigError, SendError
from bot.federation import Federation

log = logging.getLogger(__name__)

ROTATE_BEFORE_MINUTES = 120  # renew a rotating token this long before it expires


class Workspaces(Protocol):
    async def token_for(self, team_id: str) -> str: ...


class SingleWorkspace:
    def __init__(self, token: str, api: WebApi) -> None:
        self.token = token
        self.api = api
        self.team_id: str | None = None
        self._lock = asyncio.Lock()

    async def identify(self) -> str:
        """The workspace this token belongs to (one `auth.test`, retried like any call)."""
        async with self._lock:
            if self.team_id is None:
                client = self.api.client(self.token)
                response = await self.api.call("auth.test", client.auth_test)
                self.team_id = str(response["team_id"])
        return self.team_id

    async def token_for(self, team_id: str) -> str:
        if await self.identify() != team_id:
            raise SendError(f"fedbot's token is not for Slack workspace {team_id}", permanent=True)
        return self.token


class InstalledWorkspaces:
    """Tokens from the installation store. With token rotation on (the app's setting), a
    token that expires within ROTATE_BEFORE is renewed first (its refresh token is spent and
    the new pair stored, encrypted), so a broadcast never posts with an expired token."""

    def __init__(self, store: InstallationStore, rotator: AsyncTokenRotator | None = None) -> None:
        self.store = store
        self.rotator = rotator
        self._lock = asyncio.Lock()

    async def token_for(self, team_id: str) -> str:
        bot = await self.store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None:
            raise SendError(f"fedbot is not installed in Slack workspace {team_id}", permanent=True)
        if bot.bot_refresh_token and self.rotator is not None:
            async with self._lock:  # one renewal at a time: a refresh token is single use
                bot = await self._fresh(team_id) or bot
        return bot.bot_token

    async def _fresh(self, team_id: str) -> Bot | None:
        bot = await self.store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or self.rotator is None:
            return None
        try:
            renewed = await self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATE_BEFORE_MINUTES
            )
        except SlackTokenRotationError as exc:
            raise SendError(f"Slack token rotation failed: {exc}", permanent=False) from None
        if renewed is None:
            return bot
        await self.store.async_save_bot(renewed)
        log.info("Slack token of %s renewed (rotation)", team_id)
        return renewed


async def check_env_workspace(
    federation: Federation, team_id: str, enterprise_id: str | None = None
) -> None:
    """SLACK_BOT_TOKEN must belong to a federation workspace: say which one it is."""
    if not await federation.admits("slack", team_id, enterprise_id):
        raise ConfigError(
            f"config: federation.slack_teams: SLACK_BOT_TOKEN belongs to workspace "
            f'{team_id}, which is not listed; add "{team_id}" if it is the federation\'s'
        )


async def adopt_env_token(
    store: InstallationStore, api: WebApi, federation: Federation, token: str
) -> None:
    """With OAuth on, SLACK_BOT_TOKEN still serves its own workspace: it is recorded as
    that workspace's installation unless one was made through the install page."""
    client = api.client(token)
    try:
        auth = await api.call("auth.test", client.auth_test)
    except SendError as err:
        log.error("SLACK_BOT_TOKEN ignored: %s", err.reason)
        return
    team_id = str(auth["team_id"])
    await check_env_workspace(federation, team_id, auth.get("enterprise_id"))
    if await store.async_find_bot(enterprise_id=None, team_id=team_id) is not None:
        return
    scopes = (auth.headers or {}).get("x-oauth-scopes", "")
    await store.async_save_bot(
        Bot(
            app_id=auth.get("app_id"),
            enterprise_id=auth.get("enterprise_id"),
            team_id=team_id,
            team_name=auth.get("team"),
            bot_token=token,
            bot_id=auth.get("bot_id") or "",
            bot_user_id=auth.get("user_id") or "",
            bot_scopes=scopes,
            installed_at=store.clock.now().timestamp(),
        )
    )

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
from bot.errors import SendError

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

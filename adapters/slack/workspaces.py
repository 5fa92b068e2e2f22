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

from adapters.slack.installations import InstallationStore
from adapters.slack.webapi import WebApi
from bot.errors import SendError

log = logging.getLogger(__name__)


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
    def __init__(self, store: InstallationStore) -> None:
        self.store = store

    async def token_for(self, team_id: str) -> str:
        bot = await self.store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None:
            raise SendError(f"fedbot is not installed in Slack workspace {team_id}", permanent=True)
        return bot.bot_token

"""The bot's one HTTP server (aiohttp): Slack HTTP mode and OAuth, calendar feeds.

Features and adapters add routes before it starts; it binds only when something needs it.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.config import HttpSettings

log = logging.getLogger(__name__)


class WebServer:
    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.app = web.Application()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def wanted(self) -> bool:
        return self.settings.enabled

    @property
    def base_url(self) -> str:
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        return f"http://{self.settings.host}:{self.port or self.settings.port}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # noqa: SLF001 - bound port
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.port
        log.info("HTTP server listening on %s:%s", self.settings.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

"""The bot's one HTTP server (aiohttp): Slack HTTP mode and OAuth, calendar feeds, health and
metrics (bot.health), the web dashboard.

Features and adapters add routes before it starts; it binds only when something needs it. A
feature declares simple GET routes (`WebRoute`, free of the HTTP library), or mounts a whole
aiohttp sub-application under a prefix (`WebMount`: its own middlewares, forms, cookies).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from aiohttp import web

from bot.settings import HttpSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WebResponse:
    """What a feature's route returns; the server turns it into an HTTP response."""

    body: bytes
    content_type: str = "text/plain"
    status: int = 200
    filename: str | None = None  # sent as Content-Disposition: inline


WebHandler = Callable[[Mapping[str, str]], Awaitable[WebResponse]]


@dataclass(frozen=True, slots=True)
class WebRoute:
    """A GET route a feature declares (`Feature.routes`): `path` in aiohttp's syntax
    (`/calendar/event/{event_id:\\d+}.ics`); the handler receives the path's variables, so
    features stay free of the HTTP library."""

    path: str
    handler: WebHandler


def _serve(handler: WebHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def serve(request: web.Request) -> web.Response:
        reply = await handler(dict(request.match_info))
        headers = {}
        if reply.filename:
            headers["Content-Disposition"] = f'inline; filename="{reply.filename}"'
        return web.Response(
            body=reply.body,
            status=reply.status,
            content_type=reply.content_type,
            charset="utf-8",
            headers=headers,
        )

    return serve


@dataclass(frozen=True, slots=True)
class WebMount:
    """A sub-application a feature mounts under `prefix` (`/admin`): its routes, middlewares
    and static files stay its own; the server only routes the prefix to it."""

    prefix: str
    app: web.Application


class WebServer:
    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.app = web.Application()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def add_routes(self, routes: Iterable[WebRoute | WebMount]) -> None:
        for route in routes:
            if isinstance(route, WebMount):
                self.app.add_subapp(route.prefix, route.app)
            else:
                self.app.router.add_get(route.path, _serve(route.handler))

    @property
    def wanted(self) -> bool:
        return self.settings.enabled

    @property
    def secure(self) -> bool:
        """Served over https: behind a proxy, what `public_url` says users reach."""
        return self.settings.public_url.lower().startswith("https://")

    @property
    def running(self) -> bool:
        return self._runner is not None

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

"""The bot's one HTTP server (aiohttp): Slack HTTP mode and OAuth, calendar feeds, health and
metrics (bot.health), the web dashboard.

Features and adapters add routes before it starts; it binds only when something needs it. A
feature declares simple GET routes (`WebRoute`, free of the HTTP library), or mounts a whole
aiohttp sub-application under a prefix (`WebMount`: its own middlewares, forms, cookies).
Routes declared public are rate-limited per client (`bot.ratelimit`); replies with validators
answer conditional GETs (`bot.http_cache`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.http_cache import cache_headers, not_modified
from bot.ratelimit import ClientLimiter, rate_limit
from bot.settings import HttpSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WebResponse:
    """What a feature's route returns; the server turns it into an HTTP response."""

    body: bytes
    content_type: str = "text/plain"
    status: int = 200
    filename: str | None = None  # sent as Content-Disposition: inline
    # Validators: a GET whose If-None-Match / If-Modified-Since matches gets 304, no body.
    etag: str | None = None  # a strong entity tag, without its quotes
    last_modified: datetime | None = None
    max_age: int | None = None  # Cache-Control: public, max-age=…


WebHandler = Callable[[Mapping[str, str]], Awaitable[WebResponse]]


@dataclass(frozen=True, slots=True)
class WebRoute:
    """A GET route a feature declares (`Feature.routes`): `path` in aiohttp's syntax
    (`/calendar/event/{event_id:\\d+}.ics`); the handler receives the path's variables, so
    features stay free of the HTTP library. `public`: anyone may call it (no signature, no
    token), so it is rate-limited per client."""

    path: str
    handler: WebHandler
    public: bool = False


def _serve(handler: WebHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def serve(request: web.Request) -> web.Response:
        reply = await handler(dict(request.match_info))
        headers = cache_headers(reply)
        if not_modified(request, reply):
            return web.Response(status=304, headers=headers)
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
    # Paths under the prefix that anyone's browser reaches before signing in (`/signin`):
    # rate-limited per client like the other public routes.
    public: tuple[str, ...] = ()


class WebServer:
    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.limiter = ClientLimiter(settings.public_rate, settings.public_burst)
        self._public: set[web.AbstractResource] = set()
        self._public_prefixes: tuple[str, ...] = ()
        limit = rate_limit(self.limiter, settings.proxy_networks, self._is_public)
        self.app = web.Application(middlewares=[limit])
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def add_routes(self, routes: Iterable[WebRoute | WebMount]) -> None:
        for route in routes:
            if isinstance(route, WebMount):
                self.app.add_subapp(route.prefix, route.app)
                self._public_prefixes += tuple(route.prefix + p for p in route.public)
            else:
                self.add_get(route.path, _serve(route.handler), public=route.public)

    def add_get(self, path: str, handler: Handler, *, public: bool = False) -> None:
        """A GET (and HEAD) route; `public` ones are rate-limited per client."""
        route = self.app.router.add_get(path, handler)
        if public and route.resource is not None:
            self._public.add(route.resource)

    def _is_public(self, request: web.Request) -> bool:
        if request.match_info.route.resource in self._public:
            return True
        return bool(self._public_prefixes) and request.path.startswith(self._public_prefixes)

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

"""The fake Slack and Discord servers with two opt-in behaviours the broadcast tests need:

- `latency`: posting a message takes that long, and the server stores it at the end even if
  the client has gone (aiohttp does not cancel a handler when its client disconnects). A bot
  killed while waiting for the answer has posted a message it never heard about: the
  duplicate window of a crash.
- `limits`: the platforms' posting rate limits, enforced with 429s, as documented:
  Slack `chat.postMessage` one message per second per channel plus a workspace-wide budget,
  `chat.update` tier 3 (50 per minute); Discord's global 50 requests per second (a 429 with
  `X-RateLimit-Global`) and per-route buckets of 5 messages per 5 s per channel, announced in
  `X-RateLimit-*` headers on every answer so discord.py can pace itself.

Every request that broke a limit is counted in `rejected`.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import FakeSlack, _Failure


@dataclass
class Bucket:
    """A token bucket on the server's clock: `capacity` at once, refilled at `rate` per s."""

    rate: float
    capacity: float
    tokens: float = -1.0  # full at the first request
    stamp: float = 0.0

    def take(self, now: float) -> float:
        """0 if a token was taken, else the seconds until one is available."""
        if self.tokens < 0:
            self.tokens, self.stamp = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass(frozen=True)
class SlackLimits:
    channel_rate: float = 1.0
    workspace_rate: float = 10.0
    workspace_burst: int = 10
    update_per_minute: float = 50.0


@dataclass(frozen=True)
class DiscordLimits:
    global_rate: float = 50.0
    route_limit: int = 5
    route_period: float = 5.0


class PacedSlack(FakeSlack):
    def __init__(
        self, *args: Any, latency: float = 0.0, limits: SlackLimits | None = None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.latency = latency
        self.limits = limits
        self.rejected = 0
        self._buckets: dict[str, Bucket] = {}
        self._parsed: tuple[dict[str, Any], str | None] = ({}, None)
        self.in_flight = 0

    async def _linger(self) -> None:
        """The post is read and will be stored after `latency`, even if the bot dies."""
        self.in_flight += 1
        try:
            await asyncio.sleep(self.latency)
        finally:
            self.in_flight -= 1

    async def _parse(self, request: web.Request) -> tuple[dict[str, Any], str | None, Any]:
        parsed = await super()._parse(request)
        if self.latency and request.match_info.get("method") == "chat.postMessage":
            await self._linger()
        # `_handle_api` calls `_take_failure` right after this returns, with no await between:
        # this is the request it will be about.
        self._parsed = (parsed[0], parsed[1])
        return parsed

    def _take_failure(self, method: str) -> _Failure | None:
        injected = super()._take_failure(method)
        if injected is not None:
            return injected
        params, token = self._parsed
        wait = self._wait_needed(method, token, params)
        if not wait:
            return None
        self.rejected += 1
        return _Failure(429, None, max(1, math.ceil(wait)), None, 0.0, 1)

    def _bucket(self, key: str, rate: float, capacity: float) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(rate, capacity)
        return bucket

    def _wait_needed(self, method: str, token: str | None, params: dict[str, Any]) -> float:
        limits = self.limits
        workspace = self.workspaces.get(token or "")
        if limits is None or workspace is None:
            return 0.0
        team, now = workspace.team_id, time.monotonic()
        if method == "chat.update":
            rate = limits.update_per_minute / 60
            return self._bucket(f"update:{team}", rate, 5).take(now)
        if method != "chat.postMessage":
            return 0.0
        channel = self._bucket(f"{team}:{params.get('channel')}", limits.channel_rate, 1)
        wait = channel.take(now)
        if wait:
            return wait
        return self._bucket(team, limits.workspace_rate, limits.workspace_burst).take(now)


class PacedDiscord(FakeDiscord):
    def __init__(
        self, *args: Any, latency: float = 0.0, limits: DiscordLimits | None = None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.latency = latency
        self.limits = limits
        self.rejected = 0
        self._global = Bucket(limits.global_rate, limits.global_rate) if limits else None
        self._routes: dict[str, Bucket] = {}
        self.in_flight = 0

    async def _linger(self) -> None:
        """The post is read and will be stored after `latency`, even if the bot dies."""
        self.in_flight += 1
        try:
            await asyncio.sleep(self.latency)
        finally:
            self.in_flight -= 1

    def _register_routes(self, app: web.Application) -> None:
        super()._register_routes(app)
        app.middlewares.append(self._pace)

    @web.middleware
    async def _pace(self, request: web.Request, handler: Any) -> web.StreamResponse:
        posting = request.method == "POST" and request.path.endswith("/messages")
        route = request.path if posting else ""
        if self._global is not None and request.path.startswith("/api/"):
            now = time.monotonic()
            if wait := self._global.take(now):
                return self._too_many(wait, route, is_global=True)
            if route and (wait := self._route(route).take(now)):
                return self._too_many(wait, route, is_global=False)
        response = await handler(request)
        if route and self.limits is not None and response.status < 300:
            response.headers.update(self._route_headers(route))
        return response

    async def _record(self, request: web.Request, route: str) -> Any:
        rec = await super()._record(request, route)
        if self.latency and route == "POST /channels/{channel_id}/messages":
            await self._linger()
        return rec

    def _route(self, route: str) -> Bucket:
        assert self.limits is not None
        bucket = self._routes.get(route)
        if bucket is None:
            rate = self.limits.route_limit / self.limits.route_period
            bucket = self._routes[route] = Bucket(rate, self.limits.route_limit)
        return bucket

    def _route_headers(self, route: str) -> dict[str, str]:
        assert self.limits is not None
        bucket = self._route(route)
        reset_after = (bucket.capacity - bucket.tokens) / bucket.rate
        return {
            "X-RateLimit-Limit": str(self.limits.route_limit),
            "X-RateLimit-Remaining": str(int(bucket.tokens)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": f"messages{abs(hash(route)) % 10**8}",
        }

    def _too_many(self, wait: float, route: str, *, is_global: bool) -> web.Response:
        self.rejected += 1
        headers = {
            "Via": "1.1 google",  # discord.py reads a 429 without it as a Cloudflare ban
            "Retry-After": str(max(1, math.ceil(wait))),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        else:
            headers.update(self._route_headers(route))
        body = {"message": "You are being rate limited.", "retry_after": wait, "global": is_global}
        # Content-Type exactly application/json: discord.py parses nothing else.
        headers["Content-Type"] = "application/json"
        return web.Response(body=json.dumps(body).encode(), status=429, headers=headers)

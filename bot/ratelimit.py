"""Public HTTP routes, rate-limited per client: a token bucket per client address.

The bot's web server also answers Slack, which must get its ack within 3 seconds, so anyone on
the internet hammering a calendar feed or the install page gets `429 Too Many Requests` with
`Retry-After` once past their budget. Only routes declared public are counted: Slack's signed
requests (`/slack/events`) and health probes never are.

Behind a reverse proxy every request comes from the proxy: `X-Forwarded-For` then names the
client, but only when the peer is a configured trusted proxy (anyone can send the header).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.i18n import normalise_lang, translator

Network = IPv4Network | IPv6Network
MAX_CLIENTS = 10_000  # remembered at once; the least recently seen are forgotten first


class ClientLimiter:
    """`burst` requests at once per client, refilled at `rate` per second (0: no limit).

    Memory stays bounded: a client whose bucket has refilled is forgotten (it would start full
    anyway), and beyond `max_clients` the least recently seen client is dropped."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, seen at

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, client: str) -> int:
        """0 if the request may go; else the seconds until it may (for Retry-After)."""
        now = self._clock()
        self._forget_idle(now)
        tokens, seen = self._buckets.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - seen) * self.rate)
        wait = 0 if tokens >= 1.0 else max(1, math.ceil((1.0 - tokens) / self.rate))
        self._buckets[client] = (tokens - 1.0 if wait == 0 else tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait

    def _forget_idle(self, now: float) -> None:
        """The oldest entries first (the dict is ordered by last request): stop at the first
        client whose bucket is not full again."""
        refill = self.burst / self.rate
        while self._buckets:
            client, (_, seen) = next(iter(self._buckets.items()))
            if now - seen < refill:
                return
            del self._buckets[client]


class TrustedProxies:
    """The configured proxies' networks; whether an address is one of them is remembered (a
    busy feed asks for the same few addresses over and over, and parsing one costs more than
    the rest of a 304)."""

    def __init__(self, networks: Sequence[Network]) -> None:
        self.networks = tuple(networks)
        self.contains = lru_cache(maxsize=4096)(self._contains)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def _contains(self, address: str) -> bool:
        try:
            ip = ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.networks)


def client_address(request: web.Request, trusted: TrustedProxies) -> str:
    """The peer's address; behind a trusted proxy, the right-most `X-Forwarded-For` entry that
    is not itself a trusted proxy (the left-most ones are whatever the client wrote)."""
    peer = request.remote or "unknown"
    if not trusted or not trusted.contains(peer):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")]
    hops = [h for h in hops if h]
    for hop in reversed(hops):
        if not trusted.contains(hop):
            return hop[:64]
    return hops[0][:64] if hops else peer


def rate_limit(
    limiter: ClientLimiter, proxies: Sequence[Network], is_public: Callable[[web.Request], bool]
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """The aiohttp middleware: counts requests to public routes only."""
    trusted = TrustedProxies(proxies)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if limiter.enabled and is_public(request):
            wait = limiter.take(client_address(request, trusted))
            if wait:
                return _too_many(request, wait)
        return await handler(request)

    return middleware


def _too_many(request: web.Request, wait: int) -> web.Response:
    """429 in the reader's language (a person may be behind the install page)."""
    first = request.headers.get("Accept-Language", "").split(",", 1)[0].strip()
    t = translator(normalise_lang(first))
    return web.Response(
        status=429,
        text=t("core.too_many_requests", seconds=wait) + "\n",
        headers={"Retry-After": str(wait)},
    )

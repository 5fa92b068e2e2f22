"""Public HTTP routes are rate-limited per client: 429 with Retry-After past the budget, a
budget per client address, X-Forwarded-For believed only from a trusted proxy, Slack's signed
requests and routes not declared public never counted, memory bounded."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.clock import FixedClock
from bot.config import parse_config
from bot.ratelimit import ClientLimiter
from bot.web import WebResponse, WebRoute, WebServer
from fedbot.assembly import make_app
from tests.conftest import T0, make_config
from tests.fakes.slack_server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeSlack
from tests.slack_harness import add_people, slack_bot

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

# Three requests at once, then one every 100 s: nothing refills during a test.
BUDGET = {"public_burst": 3, "public_rate": 0.01}


@asynccontextmanager
async def feeds(tmp_path: Path, **http: Any) -> AsyncIterator[str]:
    raw = {"http": {"enabled": True, "port": 0, **BUDGET, **http}}
    config = make_config(tmp_path, raw)
    async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
        await app.web.start()
        yield f"http://127.0.0.1:{app.web.port}/calendar/all.ics"


async def statuses(
    url: str, n: int, *, source: str = "127.0.0.1", follow: bool = True, **headers: str
) -> list[tuple[int, str | None]]:
    """`n` GETs from the local address `source` (every 127.x address is this machine)."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    found = []
    async with aiohttp.ClientSession(connector=connector) as http:
        for _ in range(n):
            async with http.get(url, headers=headers, allow_redirects=follow) as response:
                found.append((response.status, response.headers.get("Retry-After")))
    return found


def allowed(found: list[tuple[int, str | None]]) -> list[int]:
    return [status for status, _ in found]


async def test_past_its_budget_a_client_gets_429_with_retry_after(tmp_path: Path) -> None:
    async with feeds(tmp_path) as url:
        found = await statuses(url, 5, **{"Accept-Language": "fr-FR,fr;q=0.9"})
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            text = await response.text()
        other = await statuses(url, 3, source="127.0.0.2")

    assert allowed(found) == [200, 200, 200, 429, 429]
    assert found[0][1] is None
    assert found[3][1] is not None and 1 <= int(found[3][1]) <= 100  # one token: 100 s
    assert text.startswith("Trop de requêtes : réessayez dans")  # the Accept-Language default
    assert allowed(other) == [200, 200, 200]  # another client, a budget of its own


async def test_x_forwarded_for_is_ignored_from_a_peer_not_trusted(tmp_path: Path) -> None:
    async with feeds(tmp_path) as url:
        found = [
            (await statuses(url, 1, **{"X-Forwarded-For": f"198.51.100.{i}"}))[0] for i in range(5)
        ]
    assert allowed(found) == [200, 200, 200, 429, 429]


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_budget(
    tmp_path: Path,
) -> None:
    async with feeds(tmp_path, trusted_proxies=["127.0.0.1", "10.0.0.0/8"]) as url:
        first = await statuses(url, 4, **{"X-Forwarded-For": "198.51.100.1"})
        second = await statuses(url, 3, **{"X-Forwarded-For": "198.51.100.2"})
        # A client writing its own X-Forwarded-For: the proxies append the address they saw,
        # and the right-most one not a proxy is the client.
        spoofed = await statuses(url, 1, **{"X-Forwarded-For": "203.0.113.9, 198.51.100.1"})
        through_two = await statuses(url, 1, **{"X-Forwarded-For": "198.51.100.1, 10.1.2.3"})
        from_elsewhere = await statuses(url, 3, source="127.0.0.2")
        untrusted = await statuses(url, 1, source="127.0.0.2", **{"X-Forwarded-For": "1.2.3.4"})

    assert allowed(first) == [200, 200, 200, 429]
    assert allowed(second) == [200, 200, 200]
    assert allowed(spoofed) == [429] and allowed(through_two) == [429]
    assert allowed(from_elsewhere) == [200, 200, 200]
    assert allowed(untrusted) == [429]  # 127.0.0.2 is no proxy: its own (spent) budget


async def test_slack_requests_are_never_limited_but_the_install_page_is(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        add_people(fake)
        oauth = {"SLACK_CLIENT_ID": DEFAULT_CLIENT_ID, "SLACK_CLIENT_SECRET": DEFAULT_CLIENT_SECRET}
        async with slack_bot(tmp_path, fake, env=oauth, http=BUDGET) as bot:
            answers = [await bot.http.slash_command(command="/ping") for _ in range(8)]
            pages = await statuses(f"{bot.app.web.base_url}/slack/install", 4)
            redirect = await statuses(f"{bot.app.web.base_url}/slack/oauth_redirect", 1)

    assert {a.status for a in answers} == {200}
    assert all(a.body["text"].startswith("Pong") for a in answers)
    assert allowed(pages) == [200, 200, 200, 429]
    assert allowed(redirect) == [429]  # one budget per client, across the public routes


async def test_a_route_not_declared_public_is_never_limited() -> None:
    """Health probes and the like: routes declared without `public`."""

    async def ok(_: Mapping[str, str]) -> WebResponse:
        return WebResponse(b"ok\n")

    settings = parse_config({"http": {"port": 0, **BUDGET}}, {}).http
    server = WebServer(settings)
    server.add_routes([WebRoute("/probe", ok), WebRoute("/feed", ok, public=True)])
    await server.start()
    try:
        probe = await statuses(f"http://127.0.0.1:{server.port}/probe", 10)
        feed = await statuses(f"http://127.0.0.1:{server.port}/feed", 4)
    finally:
        await server.stop()
    assert allowed(probe) == [200] * 10
    assert allowed(feed) == [200, 200, 200, 429]


async def test_the_dashboard_sign_in_pages_are_limited_and_its_other_pages_are_not(
    tmp_path: Path,
) -> None:
    """Anyone's browser reaches the sign-in pages: a budget per client. Pages behind the
    sign-in answer a redirect to it, and are not counted (staff click around a lot)."""
    async with feeds(tmp_path) as url:
        base = url.removesuffix("/calendar/all.ics")
        signin = await statuses(f"{base}/admin/signin", 4)
        inside = await statuses(f"{base}/admin/announcements", 6, follow=False)
    assert allowed(signin) == [200, 200, 200, 429]
    assert 429 not in allowed(inside)


def test_the_bucket_refills_and_waits_are_exact() -> None:
    now = [0.0]
    limiter = ClientLimiter(rate=0.5, burst=2, clock=lambda: now[0])
    assert [limiter.take("a"), limiter.take("a"), limiter.take("a")] == [0, 0, 2]
    now[0] = 1.0  # half a token back
    assert limiter.take("a") == 1
    now[0] = 2.0
    assert limiter.take("a") == 0
    assert ClientLimiter(rate=0, burst=1).enabled is False


def test_memory_is_bounded_and_idle_clients_are_forgotten() -> None:
    now = [0.0]
    limiter = ClientLimiter(rate=1.0, burst=5, clock=lambda: now[0], max_clients=100)
    for i in range(1000):
        limiter.take(f"client {i}")
    assert len(limiter) == 100  # the least recently seen went first
    # the last one is remembered: one of its five requests already taken
    assert [limiter.take("client 999") for _ in range(5)] == [0, 0, 0, 0, 1]
    now[0] = 4.0
    limiter.take("newcomer")
    assert len(limiter) == 100
    now[0] = 10.0  # every bucket is full again: each client would start afresh anyway
    limiter.take("newcomer")
    assert len(limiter) == 1

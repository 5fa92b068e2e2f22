"""The dashboard over HTTP: a real BotApp serving /admin on a free port, and a browser-like
client (cookies, forms with their CSRF token) to sign in and act.

`web_bot` starts the bot's web server like `fedbot run` does with `[http] enabled`; tests that
need platforms use the Slack/Discord harnesses and reach the same server.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from html import unescape
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import BotApp
from bot.clock import Clock, FixedClock
from bot.spec import Role
from commands.dashboard.store.sessions import Identity, SessionStore
from fedbot.assembly import make_app
from tests.conftest import T0, make_config

STAFF = "U0STAFF01"
MODERATOR = "U0MODO001"
EDITOR = "U0EDITOR1"
MEMBER = "U0MEMBER1"
NANTES = "Nantes Métropole Développement"
ROLES = {
    "staff": [f"slack:T1:{STAFF}"],
    "faq_editor": [f"slack:T1:{EDITOR}"],
}
AGENCIES = [
    {
        "name": NANTES,
        "region": "Pays de la Loire",
        "channels": ["console:local:nantes"],
        "moderators": [f"slack:T1:{MODERATOR}"],
    },
    {"name": "Rennes Atalante", "region": "Bretagne", "channels": ["console:local:rennes"]},
]
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def web_config(tmp_path: Path, raw: dict[str, Any] | None = None, **env: str) -> Any:
    base = {
        "http": {"enabled": True, "port": 0},
        "roles": ROLES,
        "agencies": AGENCIES,
        "throttle": {"enabled": False},
    }
    return make_config(tmp_path, {**base, **(raw or {})}, **env)


@asynccontextmanager
async def web_bot(
    tmp_path: Path,
    raw: dict[str, Any] | None = None,
    clock: Clock | None = None,
    env: dict[str, str] | None = None,
    engine: str = "sqlite",
) -> AsyncIterator[BotApp]:
    config = web_config(tmp_path, raw, **(env or {}))
    async with _database(engine, config) as config:
        async with make_app(config, clock=clock or FixedClock(T0), start_scheduler=False) as app:
            await app.web.start()
            yield app


@asynccontextmanager
async def _database(engine: str, config: Any) -> AsyncIterator[Any]:
    """SQLite as configured, or a fresh PostgreSQL database when FEDBOT_TEST_POSTGRES_URL is
    set (else the PostgreSQL variant is skipped)."""
    import pytest

    from tests.postgres import PG_URL, postgres_database

    if engine == "sqlite":
        yield config
        return
    if not PG_URL:
        pytest.skip("set FEDBOT_TEST_POSTGRES_URL to run the PostgreSQL variant")
    async with postgres_database(PG_URL) as url:
        yield replace(config, bot=replace(config.bot, database_url=url))


@dataclass
class Page:
    status: int
    text: str
    url: str
    headers: Any

    @property
    def csrf(self) -> str:
        found = _CSRF.search(self.text)
        assert found, "no CSRF token on the page"
        return unescape(found.group(1))

    def has(self, text: str) -> bool:
        return text in unescape(self.text)


class Client:
    """A browser without JavaScript: cookies kept, redirects followed (or not)."""

    def __init__(self, app: BotApp) -> None:
        self.app = app
        self.base = f"http://127.0.0.1:{app.web.port}"  # where it listens (not public_url)
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str, *, follow: bool = True) -> Page:
        async with self.http.get(self._url(path), allow_redirects=follow) as r:
            return Page(r.status, await r.text(), str(r.url), r.headers)

    async def post(self, path: str, data: dict[str, Any], *, follow: bool = True) -> Page:
        async with self.http.post(self._url(path), data=data, allow_redirects=follow) as r:
            return Page(r.status, await r.text(), str(r.url), r.headers)

    async def submit(self, page_path: str, action: str, data: dict[str, Any]) -> Page:
        """Post a form the way a browser would: with the CSRF token of the page it is on."""
        page = await self.get(page_path)
        return await self.post(action, {"csrf": page.csrf, **data})

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base}{path}"

    async def sign_in(self, who: Identity) -> Page:
        token = await link_token(self.app, who)
        return await self.post(f"/admin/link/{token}", {})


async def link_token(app: BotApp, who: Identity) -> str:
    return await app.services.get(SessionStore).create_link(who, app.clock.now())


def slack_user(user_id: str, workspace: str = "T1") -> Identity:
    return Identity("slack", workspace, user_id)


def console(role: Role = Role.ADMIN) -> Identity:
    return Identity("console", "local", "operator", assumed_role=role)


@asynccontextmanager
async def client(app: BotApp, who: Identity | None = None) -> AsyncIterator[Client]:
    browser = Client(app)
    try:
        if who is not None:
            page = await browser.sign_in(who)
            assert page.status == 200, page.text[:500]
        yield browser
    finally:
        await browser.close()


@asynccontextmanager
async def engine_app(engine: str, tmp_path: Path, clock: Clock) -> AsyncIterator[BotApp]:
    """A started BotApp without web server, on SQLite or PostgreSQL (`_database`)."""
    async with _database(engine, make_config(tmp_path)) as config:
        async with make_app(config, clock=clock, start_scheduler=False) as app:
            yield app

"""Shared fixtures: a real BotApp on a temporary SQLite file, with a clock the test controls."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import BotApp
from bot.clock import FixedClock, SystemClock
from bot.config import Config, parse_config
from bot.identity import Caller, ChannelRef, Place
from bot.leases import Leases
from bot.messages import Reply
from bot.spec import Role
from bot.storage.database import Database
from fedbot.assembly import make_app, migration_dirs
from tests.postgres import PG_URL, postgres_database

# A Thursday morning in Paris, before the events of the demo data.
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


# A fixed key for the tokens the tests' bots store (FEDBOT_SECRET_KEY).
TEST_SECRET_KEY = "MdQ-5BCp0XUonypYoNuRaxpDgEsN-fF9YVMaDnIboSc="

# The workspaces the tests' federation is made of (the fake Slack's default team, the fake
# Discord's guild, the short ids of unit tests); strangers use any other id.
TEST_FEDERATION = {
    "slack_teams": ["T1", "T0FAKE001"],
    "discord_guilds": ["3000000000000000001"],
}


@pytest.fixture(autouse=True, scope="session")
def _private_data_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The user's data directory (XDG_DATA_HOME) in a temporary folder for the whole run:
    what the bot keeps there (the FAQ's journal of asks on PostgreSQL, the console's history)
    never lands in the home of whoever runs the tests, nor reads what it holds."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data-home")))
        yield


def make_config(tmp_path: Path, raw: dict[str, Any] | None = None, **env: str) -> Config:
    raw = {"federation": TEST_FEDERATION, **(raw or {})}
    config = parse_config(raw, env)
    url = f"sqlite+aiosqlite:///{tmp_path / 'fedbot.db'}"
    return replace(config, bot=replace(config.bot, database_url=url))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def app(tmp_path: Path, clock: FixedClock) -> AsyncIterator[BotApp]:
    async with make_app(make_config(tmp_path), clock=clock, start_scheduler=False) as bot_app:
        yield bot_app


@pytest.fixture
async def faq_app(app: BotApp) -> BotApp:
    """`app` with the tuning FAQ (tests/faq_eval, 50 entries) imported."""
    from tests.faq_support import load_eval_faq  # FAQ tests only need the feature's helpers

    await load_eval_faq(app)
    return app


def console_caller(
    role: Role = Role.ADMIN,
    lang: str = "fr",
    user: str = "alice",
    moderates: frozenset[int] | None = None,
) -> Caller:
    """The console operator with `--as role` (and `--agency`: the ids in `moderates`)."""
    return Caller(
        "console", "local", user, user, lang, assumed_role=role, assumed_agencies=moderates
    )


PLACE = Place(ChannelRef("console", "local", "general"))


@pytest.fixture
def say(app: BotApp) -> Callable[..., Any]:
    """`await say("/help", role=Role.MEMBER, lang="en")` -> Reply, through the real dispatcher."""

    async def _say(
        line: str, role: Role = Role.ADMIN, lang: str = "fr", user: str = "alice"
    ) -> Reply:
        reply = await app.dispatcher.handle_text(console_caller(role, lang, user), PLACE, line)
        assert reply is not None
        return reply

    return _say


def leases(db: Database, owner: str = "p1", ttl: float = 60.0) -> Leases:
    """The leases of one simulated process (storage tests build repositories directly)."""
    return Leases(db, owner, SystemClock(), timedelta(seconds=ttl))


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database: a temp SQLite file, and a fresh PostgreSQL database when
    FEDBOT_TEST_POSTGRES_URL is set, so storage code is proven on both engines."""
    if request.param == "sqlite":
        database = Database.open(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}", migration_dirs())
        await database.migrate()
        yield database
        await database.close()
        return
    if not PG_URL:
        pytest.skip("set FEDBOT_TEST_POSTGRES_URL to run the PostgreSQL variant")
    async with postgres_database(PG_URL) as url:
        database = Database.open(url, migration_dirs())
        await database.migrate()
        yield database
        await database.close()

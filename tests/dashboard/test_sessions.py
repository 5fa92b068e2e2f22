"""Sessions and single-use tokens in the database, on both engines: hashes only, one use,
expiry, and nothing left once expired."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import BotApp
from bot.clock import FixedClock
from bot.identity import Caller
from bot.spec import Role
from commands.dashboard.store.sessions import Flash, Identity, SessionStore, digest
from commands.dashboard.store.tables import dashboard_sessions, dashboard_tokens
from tests.conftest import T0
from tests.dashboard.support import engine_app

HOUR = timedelta(hours=1)


@pytest.fixture(params=["sqlite", "postgresql"])
async def app(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BotApp]:
    async with engine_app(request.param, tmp_path, FixedClock(T0)) as bot:
        yield bot


async def test_a_link_is_used_once_before_it_expires(app: BotApp) -> None:
    store = app.services.get(SessionStore)
    who = Identity("console", "local", "op", assumed_role=Role.MODERATOR,
                   assumed_agencies=frozenset({3, 1}))  # fmt: skip
    token = await store.create_link(who, T0)
    assert await store.use_link("not-" + token, T0) is None
    assert await store.use_link(token, T0 + timedelta(minutes=9)) == who
    assert await store.use_link(token, T0 + timedelta(minutes=9)) is None
    late = await store.create_link(who, T0)
    assert await store.use_link(late, T0 + timedelta(minutes=10)) is None
    async with app.db.read() as conn:
        stored = set((await conn.execute(select(dashboard_tokens.c.token_hash))).scalars())
    assert stored == {digest(token), digest(late)} and token not in stored


async def test_an_oauth_state_serves_its_provider_once(app: BotApp) -> None:
    store = app.services.get(SessionStore)
    state = await store.create_state("slack", T0)
    assert await store.use_state("slack", state, T0)
    assert not await store.use_state("slack", state, T0)
    crossed = await store.create_state("slack", T0)
    assert not await store.use_state("discord", crossed, T0)


async def test_a_session_lasts_its_lifetime_and_carries_a_notice(app: BotApp) -> None:
    store = app.services.get(SessionStore)
    member = await app.services.members.ensure(Caller("slack", "T1", "U1", "Una"), T0)
    who = Identity("slack", "T1", "U1", "Una", groups=frozenset({"S2", "S1"}))
    token, opened = await store.open(who, member.id, "en", T0, 2 * HOUR)
    found = await store.get(token, T0 + HOUR)
    assert found == opened and found.caller.groups == {"S1", "S2"} and found.caller.locale == "en"
    await store.set_flash(found.id, Flash("Entrée n° 3 créée.", error=False))
    assert (await store.get(token, T0 + HOUR)).flash == Flash("Entrée n° 3 créée.")
    assert await store.get(token, T0 + 2 * HOUR) is None
    assert await store.purge(T0 + 2 * HOUR) == 1
    async with app.db.read() as conn:
        assert (await conn.execute(select(dashboard_sessions))).all() == []


async def test_erasing_the_member_ends_their_sessions(app: BotApp) -> None:
    store = app.services.get(SessionStore)
    member = await app.services.members.ensure(Caller("slack", "T1", "U1", "Una"), T0)
    token, _ = await store.open(Identity("slack", "T1", "U1"), member.id, "fr", T0, HOUR)
    await app.services.members.erase(member.id)
    assert await store.get(token, T0) is None

"""The OAuth `state` is a signed, expiring token: loading the install page writes nothing, and
the redirect refuses a forged, expired or replayed state with the localised error page (real
slack-bolt over loopback, the fake Slack for oauth.v2.access; SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from adapters.slack.installations import slack_installations
from adapters.slack.oauth_state import SignedStateStore, slack_oauth_states
from bot.app import BotApp
from bot.clock import FixedClock
from bot.storage.schema import metadata
from tests.conftest import T0
from tests.fakes.slack_server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeSlack
from tests.postgres import PG_URL, postgres_database
from tests.security.support import html_text
from tests.slack_harness import SlackBot, slack_bot

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

OAUTH = {"SLACK_CLIENT_ID": DEFAULT_CLIENT_ID, "SLACK_CLIENT_SECRET": DEFAULT_CLIENT_SECRET}
FEDERATION = {"slack_teams": ["T0FAKE001", "TNEW"]}
FAILED = "L'installation n'a pas abouti. Réessayez depuis le lien d'installation."
DATABASES = [
    "sqlite",
    pytest.param(
        "postgresql", marks=pytest.mark.skipif(not PG_URL, reason="set FEDBOT_TEST_POSTGRES_URL")
    ),
]


@asynccontextmanager
async def installing(tmp_path: Path, kind: str) -> AsyncIterator[tuple[SlackBot, FakeSlack]]:
    async with FakeSlack() as fake:
        fake.add_oauth_code("code-1", token="xoxb-new-team", team_id="TNEW", team_name="Nouvelle")
        fake.add_oauth_code("code-2", token="xoxb-new-team", team_id="TNEW", team_name="Nouvelle")
        if kind == "sqlite":
            async with slack_bot(tmp_path, fake, env=OAUTH, federation=FEDERATION) as bot:
                yield bot, fake
            return
        assert PG_URL is not None
        async with (
            postgres_database(PG_URL) as url,
            slack_bot(tmp_path, fake, env=OAUTH, federation=FEDERATION, database_url=url) as bot,
        ):
            yield bot, fake


async def install_page(bot: SlackBot) -> tuple[str, str]:
    """The state in the "Add to Slack" link, and the state cookie bolt sets beside it."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{bot.app.web.base_url}/slack/install") as page,
    ):
        assert page.status == 200
        html = await page.text()
        cookie = page.headers["Set-Cookie"].split(";")[0]
    link = re.search(r'href="(https://slack.com/oauth/v2/authorize[^"]+)"', html)
    assert link is not None
    query = urllib.parse.parse_qs(urllib.parse.urlparse(link[1].replace("&amp;", "&")).query)
    return query["state"][0], cookie


async def come_back(
    bot: SlackBot, state: str, code: str = "code-1", *, cookie: bool = True
) -> tuple[int, str]:
    """Slack sends the browser back to the redirect with the state (and bolt's cookie)."""
    headers = {"Cookie": f"slack-app-oauth-state={state}"} if cookie else {}
    url = f"{bot.app.web.base_url}/slack/oauth_redirect?code={code}&state={state}"
    async with (
        aiohttp.ClientSession(headers={"Accept-Language": "fr"}) as http,
        http.get(url, headers=headers) as page,
    ):
        return page.status, " ".join(html_text(await page.text()).split())


async def row_counts(app: BotApp) -> dict[str, int]:
    async with app.db.read() as conn:
        return {
            table.name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for table in metadata.sorted_tables
        }


async def installed(app: BotApp) -> bool:
    """Whether the workspace the OAuth codes belong to got its token stored."""
    async with app.db.read() as conn:
        teams = await conn.execute(select(slack_installations.c.team_id))
        return "TNEW" in {row.team_id for row in teams}


@pytest.mark.parametrize("kind", DATABASES)
async def test_loading_the_install_page_writes_nothing(tmp_path: Path, kind: str) -> None:
    async with installing(tmp_path, kind) as (bot, _):
        before = await row_counts(bot.app)
        states = [await install_page(bot) for _ in range(5)]
        after = await row_counts(bot.app)

    assert after == before
    assert len({state for state, _ in states}) == 5  # a fresh state each time
    assert all(cookie == f"slack-app-oauth-state={state}" for state, cookie in states)


@pytest.mark.parametrize("kind", DATABASES)
async def test_a_state_installs_once_and_a_replay_is_refused(tmp_path: Path, kind: str) -> None:
    async with installing(tmp_path, kind) as (bot, _):
        state, _ = await install_page(bot)
        done = await come_back(bot, state)
        replay = await come_back(bot, state, "code-2")
        counts = await row_counts(bot.app)
        was_installed = await installed(bot.app)

    assert done[0] == 200 and "fedbot est installé" in done[1]
    assert replay[0] == 400 and replay[1].endswith(FAILED)
    assert counts[slack_oauth_states.name] == 1  # one row per use, none per page view
    assert was_installed


@pytest.mark.parametrize("kind", DATABASES)
async def test_a_forged_state_is_refused(tmp_path: Path, kind: str) -> None:
    async with installing(tmp_path, kind) as (bot, _):
        state, _ = await install_page(bot)
        stamp, nonce, mac = state.split(".")
        other = SignedStateStore(bot.app.db, bot.app.clock, "another app's secret")
        forged = [
            f"{stamp}.{nonce}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}",  # altered MAC
            f"{int(stamp, 16) + 3600:x}.{nonce}.{mac}",  # issued later than signed
            await other.async_issue(),  # signed with another key
            "not-a-state",
        ]
        answers = [await come_back(bot, f) for f in forged]
        answers.append(await come_back(bot, state, cookie=False))  # genuine, but no cookie
        counts = await row_counts(bot.app)
        was_installed = await installed(bot.app)

    assert [(status, text.endswith(FAILED)) for status, text in answers] == [(400, True)] * 5
    assert counts[slack_oauth_states.name] == 0
    assert not was_installed


@pytest.mark.parametrize("kind", DATABASES)
async def test_an_expired_state_is_refused_and_used_ones_are_purged(
    tmp_path: Path, kind: str
) -> None:
    async with installing(tmp_path, kind) as (bot, _):
        clock = bot.app.clock
        assert isinstance(clock, FixedClock)
        used, _ = await install_page(bot)
        assert (await come_back(bot, used))[0] == 200
        late, _ = await install_page(bot)
        clock.set(T0 + timedelta(minutes=10))
        expired = await come_back(bot, late, "code-2")
        clock.set(T0 + timedelta(minutes=11))
        fresh, _ = await install_page(bot)
        again = await come_back(bot, fresh, "code-2")
        async with bot.app.db.read() as conn:
            rows = (await conn.execute(select(slack_oauth_states))).all()

    assert expired[0] == 400 and expired[1].endswith(FAILED)
    assert again[0] == 200
    # the first state's row went once it expired; the new one's stays until it does
    assert [row.expires_at for row in rows] == [T0 + timedelta(minutes=21)]

"""What the adversarial tests share: a full picture of the database, to prove an attack wrote
nothing, and an OAuth install played through the bot's own install page."""

from __future__ import annotations

import html as html_module
import re
import urllib.parse
from typing import Any

import aiohttp
from sqlalchemy import select

from bot.app import BotApp
from bot.storage.schema import metadata

# Bookkeeping that any request may touch without recording anything about anyone: a replay
# guard, a Slack OAuth state, the bot's own keys.
BOOKKEEPING = ("seen_deliveries", "slack_oauth_states", "bot_keys", "alembic_version")


async def snapshot(app: BotApp, *, exclude: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table (but bookkeeping), sorted: equal snapshots, nothing written."""
    skipped = set(BOOKKEEPING) | set(exclude)
    found: dict[str, list[tuple]] = {}
    async with app.db.read() as conn:
        for table in metadata.sorted_tables:
            if table.name in skipped:
                continue
            rows = (await conn.execute(select(table))).all()
            found[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return found


def changed(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    """The tables whose rows differ."""
    return sorted(name for name in after if before.get(name) != after[name])


async def oauth_install(
    base_url: str, code: str, *, invite: str | None = None, lang: str = "fr"
) -> tuple[int, str]:
    """Visit the install page (with an invite), follow "Add to Slack" as Slack would, come
    back to the redirect with `code`; returns the final page's status and text. Cookies are
    carried by hand: the browser keeps them (bolt's state cookie is `Secure`, and aiohttp's
    jar would not send it back over plain http)."""
    query = f"?invite={invite}" if invite else ""
    async with aiohttp.ClientSession(headers={"Accept-Language": lang}) as session:
        async with session.get(f"{base_url}/slack/install{query}") as page:
            html = await page.text()
            if page.status != 200:
                return page.status, html_text(html)
            cookies = "; ".join(
                value.split(";", 1)[0] for value in page.headers.getall("Set-Cookie", [])
            )
        link = re.search(r'href="(https://slack.com/oauth/v2/authorize[^"]+)"', html)
        assert link is not None, html
        url = urllib.parse.urlparse(link[1].replace("&amp;", "&"))
        state = urllib.parse.parse_qs(url.query)["state"][0]
        callback = f"{base_url}/slack/oauth_redirect?code={code}&state={state}"
        async with session.get(callback, headers={"Cookie": cookies}) as done:
            return done.status, html_text(await done.text())


def html_text(page: str) -> str:
    """What a browser shows of a small page: tags dropped, entities decoded."""
    return html_module.unescape(re.sub(r"<[^>]+>", " ", page))


def as_dict(rows: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in rows]

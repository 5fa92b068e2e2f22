"""`dashboard`: the web pages for staff and moderators (issue #18), served under /admin by the
bot's own HTTP server, in the same process, on the same database.

It declares no chat command: its pages mirror the other features' commands and run them
through the dispatcher. It owns its tables (sessions and sign-in tokens), a job that forgets
expired ones, and `fedbot web link`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.feature import Feature
from bot.services import Services
from commands.dashboard import privacy  # noqa: F401 - registers the sessions' export
from commands.dashboard.cli import WEB_TOOL
from commands.dashboard.store.sessions import SessionStore

if TYPE_CHECKING:
    from bot.app import BotApp
    from bot.web import WebMount

PURGE_SECONDS = 600


def routes(app: BotApp) -> Sequence[WebMount]:
    if not app.config.dashboard.enabled:
        return ()
    from commands.dashboard.webapp import build  # aiohttp-jinja2 and templates: only if served

    return (build(app),)


async def on_start(services: Services) -> None:
    async def purge() -> None:
        await services.get(SessionStore).purge(services.clock.now())

    services.scheduler.every("dashboard:purge", PURGE_SECONDS, purge)


FEATURE = Feature(
    "dashboard",
    groups=(),
    commands=(),
    stores=lambda services: (SessionStore(services.db),),
    migrations=Path(__file__).with_name("migrations"),
    on_start=on_start,
    routes=routes,
    cli=(WEB_TOOL,),
)

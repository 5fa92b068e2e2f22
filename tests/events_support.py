"""Helpers shared by the events tests: a recording Sender (a fake at the platform seam), a few
agencies with console channels, and a way to type a command in a given channel."""

from __future__ import annotations

from bot.app import BotApp
from bot.identity import ChannelRef, Place
from bot.messages import Reply
from bot.spec import Role
from tests.conftest import console_caller
from tests.postgres import PG_URL, postgres_database  # noqa: F401 - re-exported
from tests.recording import RecordingSender, add_agencies, recorder  # noqa: F401

AGENCIES = {
    "nantes": ("Nantes Métropole Développement", "Pays de la Loire"),
    "rennes": ("Rennes Atalante", "Bretagne"),
    "lyon": ("Lyon Attractivité", "Auvergne-Rhône-Alpes"),
}


async def setup_agencies(app: BotApp) -> dict[str, int]:
    return await add_agencies(app, AGENCIES)


async def type_in(
    app: BotApp,
    line: str,
    *,
    channel: str = "general",
    role: Role = Role.ADMIN,
    user: str = "alice",
    lang: str = "fr",
    moderates: tuple[str, ...] | None = None,
) -> Reply:
    """`moderates`: the agencies (keys of AGENCIES) a moderator moderates; None = all."""
    place = Place(ChannelRef("console", "local", channel))
    ids = None if moderates is None else await agency_ids(app, moderates)
    caller = console_caller(role, lang, user, ids)
    reply = await app.dispatcher.handle_text(caller, place, line)
    assert reply is not None
    return reply


async def agency_ids(app: BotApp, keys: tuple[str, ...]) -> frozenset[int]:
    found = [await app.services.agencies.find(AGENCIES[key][0]) for key in keys]
    return frozenset(a.id for a in found if a is not None)


async def click(
    app: BotApp, action: str, value: str, *, user: str, role: Role = Role.MEMBER, lang: str = "fr"
) -> Reply:
    place = Place(ChannelRef("console", "local", "general"))
    reply = await app.dispatcher.handle_action(
        console_caller(role, lang, user), place, action, value
    )
    assert reply is not None
    return reply


def event_id(reply: Reply) -> int:
    """The number of the event a reply is about (from its footer)."""
    footer = reply.message.footer or ""
    assert "n° " in footer or "no. " in footer, reply.message.plain_text()
    return int(footer.replace("no. ", "n° ").split("n° ")[1].split()[0])


def plain(text: str | None) -> str:
    """Babel writes French with narrow and no-break spaces ("24\u00a0heures"): compare words."""
    return (text or "").replace("\u00a0", " ").replace("\u202f", " ")

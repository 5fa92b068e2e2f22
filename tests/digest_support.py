"""Helpers shared by the digest tests: a recording Sender (a fake at the platform seam),
agencies with console channels, and a way to type a command in a given channel."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from bot.app import BotApp
from bot.clock import FixedClock
from bot.identity import ChannelRef, Place
from bot.messages import Reply
from bot.spec import Role
from fedbot.assembly import make_app
from tests.conftest import console_caller, make_config
from tests.recording import Crash, RecordingSender, add_agencies, recorder  # noqa: F401

# key -> (agency, region); two agencies share a region, one channel belongs to no agency.
AGENCIES = {
    "nantes": ("Nantes Métropole Développement", "Pays de la Loire"),
    "angers": ("Aldev Angers", "Pays de la Loire"),
    "rennes": ("Rennes Atalante", "Bretagne"),
}


async def setup_agencies(app: BotApp) -> dict[str, int]:
    ids = await add_agencies(app, AGENCIES)
    now = app.clock.now()
    # Nantes also has a Discord channel: the same agency, another platform.
    await app.services.agencies.attach_channel(
        ids["nantes"], ChannelRef("discord", "G1", "555"), (), now
    )
    return ids


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
    ids = None
    if moderates is not None:
        found = [await app.services.agencies.find(AGENCIES[key][0]) for key in moderates]
        ids = frozenset(a.id for a in found if a is not None)
    reply = await app.dispatcher.handle_text(console_caller(role, lang, user, ids), place, line)
    assert reply is not None
    return reply


async def create(app: BotApp, options: str, *, channel: str = "nantes", **kw: object) -> int:
    """Create a digest as staff (unless told otherwise) and return its number."""
    reply = await type_in(app, f"/digest create {options}", channel=channel, **kw)  # type: ignore[arg-type]
    assert not reply.is_error, reply.message.plain_text()
    return digest_id(reply)


def digest_id(reply: Reply) -> int:
    match = re.search(r"(?:n°|#)(\d+)", reply.message.title or "")
    assert match, reply.message.plain_text()
    return int(match.group(1))


def plain(text: str | None) -> str:
    """Babel writes French with narrow, thin and no-break spaces: compare words."""
    return (text or "").replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ")


def app_on(path: Path, clock: FixedClock, raw: dict | None = None) -> BotApp:
    """A bot process on the database file in `path` (two of them share it)."""
    return make_app(make_config(path, raw), clock=clock, start_scheduler=False)


def at(text: str) -> datetime:
    """An aware moment from ISO text: at("2026-11-30T08:00+00:00")."""
    return datetime.fromisoformat(text)

"""Helpers for the profile and matching tests: agencies with console channels, members typing
commands in a channel, clicking buttons, and a recording Sender (a fake at the platform seam)."""

from __future__ import annotations

from bot.app import BotApp
from bot.identity import Caller, ChannelRef, Place
from bot.messages import Button, Reply
from bot.spec import Role
from tests.recording import RecordingSender, add_agencies, recorder  # noqa: F401

AGENCIES = {
    "nantes": ("Nantes Métropole Développement", "Pays de la Loire"),
    "lyon": ("Lyon Attractivité", "Auvergne-Rhône-Alpes"),
    "rennes": ("Rennes Atalante", "Bretagne"),
}


Recorder = RecordingSender  # the name these tests use


async def setup_agencies(app: BotApp) -> dict[str, int]:
    return await add_agencies(app, AGENCIES)


def caller(
    user: str, role: Role = Role.MEMBER, lang: str = "fr", moderates: frozenset[int] | None = None
) -> Caller:
    return Caller(
        "console", "local", user, user.title(), lang, assumed_role=role, assumed_agencies=moderates
    )


async def type_in(
    app: BotApp,
    line: str,
    *,
    user: str = "alice",
    channel: str = "general",
    role: Role = Role.MEMBER,
    lang: str = "fr",
    moderates: frozenset[int] | None = None,
) -> Reply:
    place = Place(ChannelRef("console", "local", channel))
    reply = await app.dispatcher.handle_text(caller(user, role, lang, moderates), place, line)
    assert reply is not None
    return reply


async def click(
    app: BotApp, button: Button, *, user: str, role: Role = Role.MEMBER, lang: str = "fr"
) -> Reply:
    place = Place(ChannelRef("console", "local", "general"))
    reply = await app.dispatcher.handle_action(
        caller(user, role, lang), place, button.action, button.value
    )
    assert reply is not None
    return reply


async def profile(
    app: BotApp,
    user: str,
    interests: str,
    *,
    agency: str = "nantes",
    match: bool = True,
    visible: bool = False,
) -> Reply:
    """`user` sets their profile in their agency's channel (which gives the agency)."""
    line = (
        f'/profile set interests:"{interests}" match:{"yes" if match else "no"} '
        f"visible:{'yes' if visible else 'no'}"
    )
    reply = await type_in(app, line, user=user, channel=agency)
    assert not reply.is_error, reply.message.text
    return reply


async def member_id(app: BotApp, user: str) -> int:
    member = await app.services.members.find("console", "local", user)
    assert member is not None
    return member.id


def plain(text: str | None) -> str:
    """Babel writes French with narrow and no-break spaces: compare words."""
    return (text or "").replace("\u00a0", " ").replace("\u202f", " ")

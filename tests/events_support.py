"""Helpers shared by the events tests: a recording Sender (a fake at the platform seam), a few
agencies with console channels, and a way to type a command in a given channel."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.app import BotApp
from bot.errors import SendError
from bot.identity import ChannelRef, Place
from bot.messages import Message, Reply
from bot.outbound import Posted
from bot.spec import Role
from tests.conftest import console_caller
from tests.postgres import PG_URL, postgres_database  # noqa: F401 - re-exported

AGENCIES = {
    "nantes": ("Nantes Métropole Développement", "Pays de la Loire"),
    "rennes": ("Rennes Atalante", "Bretagne"),
    "lyon": ("Lyon Attractivité", "Auvergne-Rhône-Alpes"),
}


@dataclass
class RecordingSender:
    """Implements the Sender protocol and records what the bot posts, as a platform would."""

    platform: str = "console"
    failing: set[str] = field(default_factory=set)  # channel ids (or "dm:<user>") that fail
    sent: list[tuple[str, Message]] = field(default_factory=list)

    async def send(self, channel: ChannelRef, message: Message) -> Posted:
        if channel.channel_id in self.failing:
            raise SendError("channel_not_found", permanent=True)
        self.sent.append((f"#{channel.channel_id}", message))
        return Posted(channel, str(len(self.sent)))

    async def send_dm(self, workspace: str, user_id: str, message: Message) -> Posted:
        if f"dm:{user_id}" in self.failing:
            raise SendError("cannot_dm_user", permanent=True)
        self.sent.append((f"@{user_id}", message))
        return Posted(ChannelRef(self.platform, workspace, f"D-{user_id}"), str(len(self.sent)))

    async def delete(self, posted: Posted) -> None:
        return None

    def to(self, target: str) -> list[Message]:
        return [m for t, m in self.sent if t == target]

    def targets(self) -> list[str]:
        return [t for t, _ in self.sent]

    def clear(self) -> None:
        self.sent.clear()


async def setup_agencies(app: BotApp) -> dict[str, int]:
    ids = {}
    now = app.clock.now()
    for key, (name, region) in AGENCIES.items():
        agency, _ = await app.services.agencies.add(name, region, now)
        await app.services.agencies.attach_channel(
            agency.id, ChannelRef("console", "local", key), (), now
        )
        ids[key] = agency.id
    return ids


def recorder(app: BotApp, **kwargs: object) -> RecordingSender:
    sender = RecordingSender(**kwargs)  # type: ignore[arg-type]
    app.outbound.register(sender)
    return sender


async def type_in(
    app: BotApp,
    line: str,
    *,
    channel: str = "general",
    role: Role = Role.ADMIN,
    user: str = "alice",
    lang: str = "fr",
) -> Reply:
    place = Place(ChannelRef("console", "local", channel))
    reply = await app.dispatcher.handle_text(console_caller(role, lang, user), place, line)
    assert reply is not None
    return reply


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

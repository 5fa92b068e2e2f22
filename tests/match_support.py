"""Helpers for the profile and matching tests: agencies with console channels, members typing
commands in a channel, clicking buttons, and a recording Sender (a fake at the platform seam)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.app import BotApp
from bot.errors import SendError
from bot.identity import Caller, ChannelRef, Place
from bot.messages import Button, Message, Reply
from bot.outbound import Posted
from bot.spec import Role

AGENCIES = {
    "nantes": ("Nantes Métropole Développement", "Pays de la Loire"),
    "lyon": ("Lyon Attractivité", "Auvergne-Rhône-Alpes"),
    "rennes": ("Rennes Atalante", "Bretagne"),
}


@dataclass
class Recorder:
    """Implements the Sender protocol and records what the bot sends, as a platform would.
    `failing` holds channel ids and "dm:<user>" targets the platform refuses."""

    platform: str = "console"
    failing: set[str] = field(default_factory=set)
    transient: set[str] = field(default_factory=set)  # refused for now (rate limit)
    sent: list[tuple[str, Message]] = field(default_factory=list)

    def _check(self, target: str) -> None:
        if target in self.transient:
            raise SendError("rate_limited", permanent=False, retry_after=30)
        if target in self.failing:
            raise SendError("cannot_send", permanent=True)

    async def send(self, channel: ChannelRef, message: Message) -> Posted:
        self._check(channel.channel_id)
        self.sent.append((f"#{channel.channel_id}", message))
        return Posted(channel, str(len(self.sent)))

    async def send_dm(self, workspace: str, user_id: str, message: Message) -> Posted:
        self._check(f"dm:{user_id}")
        self.sent.append((f"@{user_id}", message))
        return Posted(ChannelRef(self.platform, workspace, f"D-{user_id}"), str(len(self.sent)))

    async def delete(self, posted: Posted) -> None:
        return None

    async def edit(self, posted: Posted, message: Message) -> None:
        return None

    def to(self, target: str) -> list[Message]:
        return [m for t, m in self.sent if t == target]

    def targets(self) -> list[str]:
        return sorted(t for t, _ in self.sent)


def recorder(app: BotApp, **kwargs: object) -> Recorder:
    sender = Recorder(**kwargs)  # type: ignore[arg-type]
    app.outbound.register(sender)
    return sender


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


def caller(user: str, role: Role = Role.MEMBER, lang: str = "fr") -> Caller:
    return Caller("console", "local", user, user.title(), lang, assumed_role=role)


async def type_in(
    app: BotApp,
    line: str,
    *,
    user: str = "alice",
    channel: str = "general",
    role: Role = Role.MEMBER,
    lang: str = "fr",
) -> Reply:
    place = Place(ChannelRef("console", "local", channel))
    reply = await app.dispatcher.handle_text(caller(user, role, lang), place, line)
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

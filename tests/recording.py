"""A platform at the seam for feature tests: a Sender that records what the bot posts (as a
platform would see it) and can refuse, delay or "crash"; plus agencies with console channels."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.app import BotApp
from bot.errors import SendError
from bot.identity import ChannelRef
from bot.messages import Message
from bot.outbound import Posted
from bot.pacing import Bucket


class Crash(Exception):
    """Stands for the process dying in the middle of a send (nothing after it runs)."""


@dataclass
class RecordingSender:
    """Records sends as "#channel" or "@user". `failing` holds channel ids and "dm:<user>"
    targets refused for good, `transient` those refused for now (a rate limit); `crash` makes
    the next send "kill the process" before the platform got it, `crash_after_accept` after
    (the message is out, the bot never heard back); `delay` makes a slow platform."""

    platform: str = "console"
    buckets: tuple[Bucket, ...] = ()  # a test platform has no rate limit
    failing: set[str] = field(default_factory=set)
    transient: set[str] = field(default_factory=set)
    crash: bool = False
    crash_after_accept: bool = False
    delay: float = 0.0
    arriving: int = 0  # sends the platform has begun to answer (a test waits for one)
    sent: list[tuple[str, Message]] = field(default_factory=list)
    # What a platform remembers of keyed sends: a send in doubt adopts its earlier message.
    by_key: dict[str, Posted] = field(default_factory=dict)

    async def _arrive(self, target: str, reason: str) -> None:
        self.arriving += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.crash:
            self.crash = False
            raise Crash
        if target in self.transient:
            raise SendError("rate_limited", permanent=False, retry_after=30)
        if target in self.failing:
            raise SendError(reason, permanent=True)

    async def send(
        self,
        channel: ChannelRef,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        await self._arrive(channel.channel_id, "channel_not_found")
        return self._record(f"#{channel.channel_id}", channel, message, key, in_doubt)

    async def send_dm(
        self,
        workspace: str,
        user_id: str,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        await self._arrive(f"dm:{user_id}", "cannot_dm_user")
        channel = ChannelRef(self.platform, workspace, f"D-{user_id}")
        return self._record(f"@{user_id}", channel, message, key, in_doubt)

    def _record(
        self, target: str, channel: ChannelRef, message: Message, key: str | None, in_doubt: bool
    ) -> Posted:
        if key is not None and in_doubt and key in self.by_key:
            return Posted(channel, self.by_key[key].message_id, adopted=True)
        self.sent.append((target, message))
        posted = Posted(channel, str(len(self.sent)))
        if key is not None:
            self.by_key[key] = posted
        if self.crash_after_accept:
            self.crash_after_accept = False
            raise Crash
        return posted

    async def delete(self, posted: Posted) -> None:
        return None

    async def edit(self, posted: Posted, message: Message) -> None:
        return None

    def to(self, target: str) -> list[Message]:
        return [m for t, m in self.sent if t == target]

    def targets(self) -> list[str]:
        """Where messages went, in the order they were sent."""
        return [t for t, _ in self.sent]

    def clear(self) -> None:
        self.sent.clear()


def recorder(app: BotApp, **kwargs: object) -> RecordingSender:
    sender = RecordingSender(**kwargs)  # type: ignore[arg-type]
    app.outbound.register(sender)
    return sender


async def add_agencies(app: BotApp, agencies: Mapping[str, tuple[str, str]]) -> dict[str, int]:
    """Agencies keyed by their console channel name: {"nantes": (name, region)} -> ids."""
    ids = {}
    now = app.clock.now()
    for key, (name, region) in agencies.items():
        agency, _ = await app.services.agencies.add(name, region, now)
        await app.services.agencies.attach_channel(
            agency.id, ChannelRef("console", "local", key), (), now
        )
        ids[key] = agency.id
    return ids

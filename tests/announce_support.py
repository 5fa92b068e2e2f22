"""Shared pieces of the announce tests: a fake platform at the `Sender` seam, agencies with
channels on it, and a sleep that moves the test's clock instead of waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.app import BotApp
from bot.clock import FixedClock
from bot.errors import SendError
from bot.identity import Caller, ChannelRef, Place
from bot.messages import Message, Reply
from bot.outbound import Posted
from bot.pacing import Bucket
from bot.spec import Role

STAFF_PLACE = Place(ChannelRef("chat", "W1", "staff"))


@dataclass
class Recorder:
    """A platform that records what it is asked to do. `failures[channel_id]` holds errors
    raised by the next sends to that channel, in order; `hold` (when set) makes every send
    wait for it after the platform "accepted" the message (a crash window)."""

    platform: str = "chat"
    clock: FixedClock | MonotonicClock | None = None
    sent: list[tuple[ChannelRef, Message]] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)
    deleted: list[Posted] = field(default_factory=list)
    edits: list[tuple[Posted, Message]] = field(default_factory=list)
    failures: dict[str, list[SendError]] = field(default_factory=dict)
    hold: asyncio.Event | None = None
    accepted_then_held: int = 0
    buckets: tuple[Bucket, ...] = ()  # the rate limits the platform declares (none: unpaced)
    # What a platform remembers of keyed sends (a nonce, message metadata): a send in doubt
    # finds its earlier copy instead of posting another.
    by_key: dict[str, Posted] = field(default_factory=dict)
    adopted: int = 0

    async def send(
        self,
        channel: ChannelRef,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        # Stamped on arrival, as a platform would see the request (not after our own yield).
        arrived = self.clock.now().timestamp() if self.clock is not None else 0.0
        await asyncio.sleep(0)
        errors = self.failures.get(channel.channel_id)
        if errors:
            raise errors.pop(0)
        if key is not None and in_doubt and key in self.by_key:
            self.adopted += 1
            return Posted(channel, self.by_key[key].message_id, adopted=True)
        self.sent.append((channel, message))
        if self.clock is not None:
            self.sent_at.append(arrived)
        posted = Posted(channel, f"m{len(self.sent)}")
        if key is not None:
            self.by_key[key] = posted
        if self.hold is not None and channel.channel_id != "staff":
            self.accepted_then_held += 1
            await self.hold.wait()
        return posted

    async def send_dm(
        self,
        workspace: str,
        user_id: str,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        channel = ChannelRef(self.platform, workspace, f"dm-{user_id}")
        return await self.send(channel, message, key=key, in_doubt=in_doubt)

    async def delete(self, posted: Posted) -> None:
        await asyncio.sleep(0)
        errors = self.failures.get(posted.channel.channel_id)
        if errors:
            raise errors.pop(0)
        self.deleted.append(posted)

    async def edit(self, posted: Posted, message: Message) -> None:
        self.edits.append((posted, message))

    def copies(self, channel_id: str | None = None) -> list[Message]:
        """Announcement copies (not the staff channel's progress and alerts)."""
        return [
            m
            for ref, m in self.sent
            if ref.channel_id != "staff" and (channel_id is None or ref.channel_id == channel_id)
        ]

    def to_staff(self) -> list[Message]:
        return [m for ref, m in self.sent if ref.channel_id == "staff"]


class MonotonicClock:
    """Stamps sends in real time (pacing tests)."""

    def now(self) -> datetime:
        return datetime.fromtimestamp(time.monotonic(), UTC)


def clock_sleep(clock: FixedClock) -> Callable[[float], Awaitable[None]]:
    """The courier's sleep in tests: time passes on the test's clock, at once."""

    async def sleep(seconds: float) -> None:
        clock.set(clock.now() + timedelta(seconds=max(0.0, seconds)))
        await asyncio.sleep(0)

    return sleep


async def add_agencies(
    app: BotApp, count: int, platform: str = "chat", per_region: int = 3
) -> list[ChannelRef]:
    """`count` agencies with one channel each (`c0`, `c1`…), tagged by parity."""
    refs = []
    now = app.clock.now()
    for i in range(count):
        agency, _ = await app.services.agencies.add(
            f"Agence {i:03d}", f"Région {i // per_region}", now
        )
        ref = ChannelRef(platform, "W1", f"c{i}")
        tags = ["numerique"] if i % 2 == 0 else ["industrie"]
        await app.services.agencies.attach_channel(agency.id, ref, tags, now)
        refs.append(ref)
    return refs


def caller(role: Role = Role.STAFF, user: str = "alice", platform: str = "chat") -> Caller:
    return Caller(platform, "W1", user, user.title(), "en", assumed_role=role)


async def say(
    app: BotApp, line: str, role: Role = Role.STAFF, place: Place = STAFF_PLACE, user: str = "alice"
) -> Reply:
    # A console-style caller (assumed role) typing in a channel of the fake platform.
    who = Caller("console", "local", user, user.title(), "en", assumed_role=role)
    reply = await app.dispatcher.handle_text(who, place, line)
    assert reply is not None
    return reply


async def click(
    app: BotApp,
    action: str,
    value: str,
    role: Role = Role.STAFF,
    place: Place = STAFF_PLACE,
    user: str = "alice",
) -> Reply:
    who = Caller("console", "local", user, user.title(), "en", assumed_role=role)
    reply = await app.dispatcher.handle_action(who, place, action, value)
    assert reply is not None
    return reply


async def send_and_confirm(app: BotApp, line: str) -> int:
    """Preview then click Confirm, as staff do; returns the announcement id."""
    preview = await say(app, line)
    assert not preview.is_error, preview.message.text
    confirm = next(b for b in preview.message.buttons if b.action == "announce.confirm")
    reply = await click(app, confirm.action, confirm.value)
    assert not reply.is_error, reply.message.text
    return int(confirm.args["id"])

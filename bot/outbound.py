"""Sending without a command: the port adapters implement so the core can post anywhere.

Events, digests and broadcasts post to registered channels; reminders go by direct message.
The router picks the adapter by the channel's platform.

Sends that must happen once across crashes and processes (broadcast copies, digests,
reminders, introductions) carry a `key`: the adapter marks the message with it (Discord's
`nonce`, Slack's message metadata), and a send `in_doubt` (its previous attempt may have
reached the platform before the process died) first looks for a message with that key and
adopts it instead of posting again.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from bot import pacing
from bot.errors import SendError
from bot.identity import ChannelRef
from bot.messages import Message
from bot.metrics import Metrics
from bot.pacing import Bucket, LocalPacer, Pacer


@dataclass(frozen=True, slots=True)
class Posted:
    """Where a message landed, so it can be edited or withdrawn later."""

    channel: ChannelRef
    message_id: str
    adopted: bool = False  # found on the platform (sent by an earlier attempt), not posted now


def delivery_key(logical: str) -> str:
    """A short, stable key for a logical send ("announce:12:345"): 20 characters, so that a
    part suffix (".3") still fits Discord's 25-character nonce."""
    digest = hashlib.blake2b(logical.encode(), digest_size=12).digest()
    return base64.b32encode(digest).decode().lower().rstrip("=")[:20]


def part_key(key: str, index: int) -> str:
    """The key of one part of a message split over several platform messages."""
    return f"{key}.{index}"


class Sender(Protocol):
    platform: str
    # The platform's rate limits, declared by its adapter; none: not paced (the console).
    buckets: tuple[Bucket, ...]

    async def send(
        self,
        channel: ChannelRef,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted: ...

    async def send_dm(
        self,
        workspace: str,
        user_id: str,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted: ...

    async def delete(self, posted: Posted) -> None: ...

    async def edit(self, posted: Posted, message: Message) -> None:
        """Replace a posted message's content (live progress of a broadcast)."""
        ...


Sleep = Callable[[float], Awaitable[object]]


class Outbound:
    """Routes each send to its platform's adapter, within the platform's rate limits: every
    send, edit and delete first waits for its slot in the pacer's buckets (`Sender.buckets`;
    shared by the processes when the pacer is), and a platform's "wait" (429 Retry-After)
    stalls the bucket it names. Pacing is on the wall clock, as the platforms count."""

    def __init__(
        self,
        metrics: Metrics | None = None,
        pacer: Pacer | None = None,
        *,
        now: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._senders: dict[str, Sender] = {}
        self.metrics = metrics or Metrics()
        self.pacer: Pacer = pacer or LocalPacer()
        self.now = now
        self.sleep = sleep

    def register(self, sender: Sender) -> None:
        self._senders[sender.platform] = sender

    def unregister(self, platform: str) -> None:
        self._senders.pop(platform, None)

    @property
    def platforms(self) -> list[str]:
        return sorted(self._senders)

    def buckets(self, platform: str) -> tuple[Bucket, ...]:
        """The rate limits of a running platform's sends (none when it is not running)."""
        sender = self._senders.get(platform)
        return sender.buckets if sender is not None else ()

    def _sender(self, platform: str) -> Sender:
        sender = self._senders.get(platform)
        if sender is None:
            raise SendError(f"no adapter running for {platform}", permanent=False)
        return sender

    async def send(
        self,
        channel: ChannelRef,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        sender = self._sender(channel.platform)
        async with self._paced(sender, "send", channel):
            try:
                posted = await sender.send(channel, message, key=key, in_doubt=in_doubt)
            except Exception:
                self.metrics.sent(channel.platform, ok=False)
                raise
        self.metrics.sent(channel.platform, ok=True, adopted=posted.adopted)
        return posted

    async def send_dm(
        self,
        platform: str,
        workspace: str,
        user_id: str,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        sender = self._sender(platform)
        # Paced as a channel of its own (the DM's id is only known once it is opened).
        where = ChannelRef(platform, workspace, f"dm:{user_id}")
        async with self._paced(sender, "send", where):
            try:
                posted = await sender.send_dm(
                    workspace, user_id, message, key=key, in_doubt=in_doubt
                )
            except Exception:
                self.metrics.sent(platform, ok=False)
                raise
        self.metrics.sent(platform, ok=True, adopted=posted.adopted)
        return posted

    async def delete(self, posted: Posted) -> None:
        sender = self._sender(posted.channel.platform)
        async with self._paced(sender, "delete", posted.channel):
            await sender.delete(posted)

    async def edit(self, posted: Posted, message: Message, *, best_effort: bool = False) -> bool:
        """Edit in place. `best_effort` (a live progress count): skipped, False, when the
        platform's budget is not ready now — the next edit will show the counts."""
        sender = self._sender(posted.channel.platform)
        async with self._paced(sender, "update", posted.channel, best_effort) as go:
            if go:
                await sender.edit(posted, message)
        return go

    @asynccontextmanager
    async def _paced(
        self, sender: Sender, op: str, where: ChannelRef, best_effort: bool = False
    ) -> AsyncIterator[bool]:
        """Wait for the operation's slot, one scope after the other (`pacing.stages`), or,
        `best_effort`, say at once whether there is one; a 429 that comes back stalls the
        bucket it counts against."""
        if best_effort:
            wanted = pacing.wants(sender.buckets, op, where)
            if wanted and not await self.pacer.try_reserve(wanted, self.now()):
                yield False
                return
        else:
            for stage in pacing.stages(sender.buckets, op, where):
                now = self.now()
                if (start := await self.pacer.reserve(stage, now)) > now:
                    await self.sleep(start - now)
        try:
            yield True
        except SendError as err:
            key = pacing.pause_key(sender.buckets, op, where)
            if err.retry_after and key is not None:
                await self.pacer.pause(key, self.now() + err.retry_after)
            raise

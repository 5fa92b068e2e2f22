"""Sending without a command: the port adapters implement so the core can post anywhere.

Events, digests and broadcasts post to registered channels; reminders go by direct message.
The router picks the adapter by the channel's platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.errors import SendError
from bot.identity import ChannelRef
from bot.messages import Message
from bot.metrics import Metrics
from bot.pacing import Bucket


@dataclass(frozen=True, slots=True)
class Posted:
    """Where a message landed, so it can be edited or withdrawn later."""

    channel: ChannelRef
    message_id: str


class Sender(Protocol):
    platform: str
    # The platform's rate limits, declared by its adapter; none: not paced (the console).
    buckets: tuple[Bucket, ...]

    async def send(self, channel: ChannelRef, message: Message) -> Posted: ...

    async def send_dm(self, workspace: str, user_id: str, message: Message) -> Posted: ...

    async def delete(self, posted: Posted) -> None: ...

    async def edit(self, posted: Posted, message: Message) -> None:
        """Replace a posted message's content (live progress of a broadcast)."""
        ...


class Outbound:
    def __init__(self, metrics: Metrics | None = None) -> None:
        self._senders: dict[str, Sender] = {}
        self.metrics = metrics or Metrics()

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

    async def send(self, channel: ChannelRef, message: Message) -> Posted:
        sender = self._sender(channel.platform)
        try:
            posted = await sender.send(channel, message)
        except Exception:
            self.metrics.sent(channel.platform, ok=False)
            raise
        self.metrics.sent(channel.platform, ok=True)
        return posted

    async def send_dm(
        self, platform: str, workspace: str, user_id: str, message: Message
    ) -> Posted:
        sender = self._sender(platform)
        try:
            posted = await sender.send_dm(workspace, user_id, message)
        except Exception:
            self.metrics.sent(platform, ok=False)
            raise
        self.metrics.sent(platform, ok=True)
        return posted

    async def delete(self, posted: Posted) -> None:
        await self._sender(posted.channel.platform).delete(posted)

    async def edit(self, posted: Posted, message: Message) -> None:
        await self._sender(posted.channel.platform).edit(posted, message)

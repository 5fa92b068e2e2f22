"""The core's outbound port on Discord: post to a channel, send a DM, withdraw a message.

Rate limits are discord.py's job: it waits out a 429 (`retry_after` of the response) and
retries, and gives up with `RateLimited` only when the wait would exceed the client's
`max_ratelimit_timeout`. What is left becomes a `SendError`: permanent when retrying cannot
help (unknown channel, missing access, refused payload), transient otherwise.

A keyed send gives each part a `nonce` (the key and the part's index) with `enforce_nonce`:
within Discord's window of a few minutes, the same nonce returns the message already created
instead of a second one. A send in doubt also reads the channel's latest messages first, for
a part of ours with that nonce or that content, which covers a restart after the window.
"""

from __future__ import annotations

import logging

import aiohttp
import discord

from adapters.discord.inbound import DM_WORKSPACE, PLATFORM
from adapters.discord.render import Outgoing, render_message
from bot.errors import SendError
from bot.identity import ChannelRef
from bot.messages import Message
from bot.outbound import Posted, part_key
from bot.pacing import Bucket

log = logging.getLogger(__name__)

ID_SEPARATOR = ","  # a message split over several Discord messages is posted as "id1,id2"
FAILURES = (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError)
HISTORY_SCAN = 100  # latest messages read for a part of ours, when a send is in doubt


class DiscordSender:
    platform = PLATFORM

    def __init__(self, client: discord.Client, buckets: tuple[Bucket, ...] = ()) -> None:
        self.client = client
        self.buckets = buckets  # Discord's limit, for the core's pacer (adapters.discord.pacing)

    async def send(
        self,
        channel: ChannelRef,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        target = self.client.get_partial_messageable(_snowflake(channel.channel_id, "channel"))
        return await self._post(channel, target, message, key, in_doubt)

    async def send_dm(
        self,
        workspace: str,
        user_id: str,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        try:
            dm = await self.client.create_dm(discord.Object(_snowflake(user_id, "user")))
        except FAILURES as exc:
            raise send_error(exc) from exc
        channel = ChannelRef(PLATFORM, DM_WORKSPACE, str(dm.id))
        return await self._post(channel, dm, message, key, in_doubt)

    async def delete(self, posted: Posted) -> None:
        target = self.client.get_partial_messageable(
            _snowflake(posted.channel.channel_id, "channel")
        )
        for message_id in posted.message_id.split(ID_SEPARATOR):
            try:
                await target.get_partial_message(_snowflake(message_id, "message")).delete()
            except discord.NotFound:
                continue  # already gone: what the caller wanted
            except FAILURES as exc:
                raise send_error(exc) from exc

    async def edit(self, posted: Posted, message: Message) -> None:
        """Edit in place; a message that now needs more parts than were posted is shortened."""
        target = self.client.get_partial_messageable(
            _snowflake(posted.channel.channel_id, "channel")
        )
        ids = posted.message_id.split(ID_SEPARATOR)
        parts = render_message(message)
        if len(parts) > len(ids):
            log.warning("edit of %s: %d parts shown of %d", posted, len(ids), len(parts))
        for index, message_id in enumerate(ids):
            partial = target.get_partial_message(_snowflake(message_id, "message"))
            try:
                if index < len(parts):
                    await partial.edit(**parts[index].edit_kwargs())
                else:
                    await partial.delete()  # the new text is shorter: drop the extra parts
            except FAILURES as exc:
                raise send_error(exc) from exc

    async def _post(
        self,
        channel: ChannelRef,
        target: discord.abc.Messageable,
        message: Message,
        key: str | None,
        in_doubt: bool,
    ) -> Posted:
        parts = render_message(message)
        found = await self._find(target, parts, key) if key and in_doubt else {}
        ids: list[str] = []
        for index, part in enumerate(parts):
            if index in found:
                ids.append(found[index])
                continue
            kwargs = part.send_kwargs()
            if key:
                kwargs["nonce"] = part_key(key, index)  # discord.py adds enforce_nonce
            try:
                sent = await target.send(**kwargs)
            except FAILURES as exc:
                raise send_error(exc) from exc
            ids.append(str(sent.id))
        return Posted(channel, ID_SEPARATOR.join(ids), adopted=len(found) == len(parts))

    async def _find(
        self, target: discord.abc.Messageable, parts: list[Outgoing], key: str
    ) -> dict[int, str]:
        """{part index: message id} of the parts an earlier attempt already posted."""
        me = self.client.user.id if self.client.user else None
        nonces = {part_key(key, i): i for i in range(len(parts))}
        found: dict[int, str] = {}
        try:
            async for earlier in target.history(limit=HISTORY_SCAN):
                if earlier.author.id != me:
                    continue
                index = nonces.get(str(earlier.nonce)) if earlier.nonce is not None else None
                if index is None:
                    index = _same_content(earlier, parts)
                if index is not None and index not in found:
                    found[index] = str(earlier.id)
        except FAILURES as exc:
            # Unreadable history (no Read Message History): the nonce still guards the
            # window Discord remembers it.
            log.info("no history check before a send in doubt: %s", exc)
        return found


def _same_content(earlier: discord.Message, parts: list[Outgoing]) -> int | None:
    """History does not always carry the nonce: a part with the same text is ours too."""
    shown = (earlier.content, [(e.title, e.description) for e in earlier.embeds])
    for index, part in enumerate(parts):
        if shown == (part.content or "", [(e.title, e.description) for e in part.embeds]):
            return index
    return None


def _snowflake(value: str, what: str) -> int:
    if not value.isdigit():
        raise SendError(f"not a Discord {what} id: {value!r}", permanent=True)
    return int(value)


def send_error(exc: Exception) -> SendError:
    """discord.py's exceptions -> the core's two kinds of failure."""
    if isinstance(exc, discord.RateLimited):
        return SendError("rate_limited", permanent=False, retry_after=exc.retry_after)
    if isinstance(exc, discord.NotFound):
        return SendError(f"not_found ({exc.code})", permanent=True)
    if isinstance(exc, discord.Forbidden):
        return SendError(f"missing_access ({exc.code})", permanent=True)
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429 or exc.status >= 500:
            return SendError(f"http_{exc.status}", permanent=False)
        return SendError(f"refused: http_{exc.status} ({exc.code})", permanent=True)
    # Network trouble, or the client is between connections: worth retrying later.
    return SendError(f"unavailable: {type(exc).__name__}", permanent=False)

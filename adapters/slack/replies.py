"""Getting a core `Reply` to whoever typed the command or clicked the button.

Three roads, fastest first:

1. the ack itself: a slash command answered within the deadline, in one message, without
   files — one HTTP round trip, nothing else to call;
2. the interaction's `response_url`, after the ack: slow commands, clicks, long replies (one
   POST per message; `replace_original` updates the clicked message);
3. the Web API (`chat.postMessage` / `chat.postEphemeral`, with the workspace's own token)
   when the response_url refuses (it expires after 30 minutes or 5 uses).

Ephemeral replies stay ephemeral on every road; files go to the channel for public replies and
to the user's direct messages for ephemeral ones.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.inbound import PLATFORM, Invocation
from adapters.slack.render import SlackMessage, render_message
from adapters.slack.sender import SlackSender
from bot.errors import SendError
from bot.identity import ChannelRef
from bot.messages import Reply

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 10  # seconds; past that the Web API is tried instead


def response_type(reply: Reply) -> str:
    return "ephemeral" if reply.ephemeral else "in_channel"


def render_reply(reply: Reply) -> list[SlackMessage]:
    return render_message(reply.message, error=reply.is_error)


def ack_body(reply: Reply | None) -> dict[str, Any] | None:
    """The ack that carries the whole reply, or None when it needs more than one message."""
    if reply is None:
        return {}
    parts = render_reply(reply)
    if len(parts) != 1 or reply.message.attachments:
        return None
    return {"response_type": response_type(reply), **parts[0].payload()}


class Responder:
    def __init__(self, sender: SlackSender) -> None:
        self.sender = sender

    async def respond(
        self, client: AsyncWebClient, invocation: Invocation, reply: Reply, *, click: bool = False
    ) -> None:
        """Deliver after the ack. For clicks, `replace_original` says whether the clicked
        message is replaced (first part) or the reply is a new message."""
        for index, part in enumerate(render_reply(reply)):
            body: dict[str, Any] = {"response_type": response_type(reply), **part.payload()}
            if click:
                body["replace_original"] = reply.replace_original and index == 0
            if not await self._post(invocation.response_url, body):
                await self._by_web_api(client, invocation, reply, part)
        if reply.message.attachments:
            await self._upload(client, invocation, reply)

    async def _post(self, url: str | None, body: dict[str, Any]) -> bool:
        if not url:
            return False
        try:
            response = await AsyncWebhookClient(url, timeout=WEBHOOK_TIMEOUT).send_dict(body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("response_url unreachable: %s", type(exc).__name__)
            return False
        if response.status_code != 200:
            log.info("response_url refused (%s): using the Web API", response.status_code)
            return False
        return True

    async def _by_web_api(
        self, client: AsyncWebClient, invocation: Invocation, reply: Reply, part: SlackMessage
    ) -> None:
        channel = invocation.place.channel.channel_id
        try:
            if reply.ephemeral:
                await self.sender.post_ephemeral(client, channel, invocation.user_id, part)
            else:
                await self.sender.post_part(client, channel, part, invocation.place.thread_id)
        except SendError as err:
            log.warning("reply to %s lost: %s", invocation.user_id, err.reason)

    async def _upload(self, client: AsyncWebClient, invocation: Invocation, reply: Reply) -> None:
        channel = invocation.place.channel.channel_id
        try:
            if reply.ephemeral:  # a file cannot be ephemeral: it goes to the user's DMs
                opened = await self.sender.api.call(
                    "conversations.open",
                    partial(client.conversations_open, users=invocation.user_id),
                )
                channel = str(opened["channel"]["id"])
            await self.sender.upload(client, channel, reply.message.attachments)
        except SendError as err:
            log.warning("files for %s lost: %s", invocation.user_id, err.reason)

    async def post_in_thread(
        self, client: AsyncWebClient, invocation: Invocation, reply: Reply
    ) -> None:
        """A reply to a plain channel message (no response_url): in its thread."""
        place = invocation.place
        if reply.ephemeral:
            for part in render_reply(reply):
                await self._by_web_api(client, invocation, reply, part)
            return
        channel = ChannelRef(PLATFORM, invocation.team_id, place.channel.channel_id)
        try:
            await self.sender.post(client, channel, reply.message, place.thread_id)
        except SendError as err:
            log.warning("thread reply in %s lost: %s", channel, err.reason)

"""The Slack `Sender`: the core posts to any registered Slack channel or user through it.

Each send uses the bot token of the channel's workspace and goes through the adapter's retry
policy (`adapters.slack.webapi`). A message too long for one Slack message is posted as
several; `Posted.message_id` is then the comma-separated list of their timestamps (the first
one alone for a message that fits, which is the usual case).

A keyed send carries the key in each part's message metadata (`fedbot_delivery`). A send in
doubt first reads the channel's latest messages with their metadata, and adopts the parts an
earlier attempt posted rather than posting them again.
"""

from __future__ import annotations

import logging
from functools import partial

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.inbound import PLATFORM
from adapters.slack.render import SlackMessage, render_message
from adapters.slack.webapi import WebApi
from adapters.slack.workspaces import Workspaces
from bot.errors import SendError
from bot.identity import ChannelRef
from bot.messages import Attachment, Message
from bot.outbound import Posted, part_key
from bot.pacing import Bucket

log = logging.getLogger(__name__)

METADATA_TYPE = "fedbot_delivery"
HISTORY_SCAN = 200  # latest messages read for a part of ours, when a send is in doubt


class SlackSender:
    platform = PLATFORM

    def __init__(
        self, workspaces: Workspaces, api: WebApi, buckets: tuple[Bucket, ...] = ()
    ) -> None:
        self.workspaces = workspaces
        self.api = api
        self.buckets = buckets  # Slack's limits, for the core's pacer (adapters.slack.pacing)

    async def client_for(self, team_id: str) -> AsyncWebClient:
        return self.api.client(await self.workspaces.token_for(team_id))

    async def send(
        self,
        channel: ChannelRef,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        client = await self.client_for(channel.workspace)
        return await self.post(client, channel, message, key=key, in_doubt=in_doubt)

    async def send_dm(
        self,
        workspace: str,
        user_id: str,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        client = await self.client_for(workspace)
        opened = await self.api.call(
            "conversations.open", partial(client.conversations_open, users=user_id)
        )
        channel = ChannelRef(PLATFORM, workspace, str(opened["channel"]["id"]))
        return await self.post(client, channel, message, key=key, in_doubt=in_doubt)

    async def delete(self, posted: Posted) -> None:
        client = await self.client_for(posted.channel.workspace)
        for ts in posted.message_id.split(","):
            request = partial(client.chat_delete, channel=posted.channel.channel_id, ts=ts)
            try:
                await self.api.call("chat.delete", request)
            except SendError as err:
                if not err.reason.endswith("message_not_found"):  # already gone is fine
                    raise

    async def edit(self, posted: Posted, message: Message) -> None:
        """`chat.update` in place (a broadcast's live progress). A message that now renders to
        more parts than were posted shows the first ones; extra old parts are emptied."""
        client = await self.client_for(posted.channel.workspace)
        parts = render_message(message)
        for index, ts in enumerate(posted.message_id.split(",")):
            part = parts[index] if index < len(parts) else SlackMessage("…", ())
            request = partial(
                client.chat_update,
                channel=posted.channel.channel_id,
                ts=ts,
                text=part.text,
                blocks=list(part.blocks),
            )
            await self.api.call("chat.update", request)

    async def post(
        self,
        client: AsyncWebClient,
        channel: ChannelRef,
        message: Message,
        thread_ts: str | None = None,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        """Post with a given client (an interaction's own, or a workspace's)."""
        parts = render_message(message)
        found = await self._find(client, channel.channel_id, key) if key and in_doubt else {}
        stamps = []
        for index, part in enumerate(parts):
            part_id = part_key(key, index) if key else None
            if part_id in found:
                stamps.append(found[part_id])
                continue
            stamps.append(
                await self.post_part(client, channel.channel_id, part, thread_ts, part_id)
            )
        adopted = bool(found) and len(found) >= len(parts)
        if message.attachments and not adopted:
            await self.upload(client, channel.channel_id, message.attachments, thread_ts)
        return Posted(channel, ",".join(stamps), adopted=adopted)

    async def post_part(
        self,
        client: AsyncWebClient,
        channel_id: str,
        part: SlackMessage,
        thread_ts: str | None,
        key: str | None = None,
    ) -> str:
        metadata = {"event_type": METADATA_TYPE, "event_payload": {"key": key}} if key else None
        request = partial(
            client.chat_postMessage,
            channel=channel_id,
            text=part.text,
            blocks=list(part.blocks),
            thread_ts=thread_ts,
            unfurl_links=False,
            metadata=metadata,
        )
        response = await self.api.call("chat.postMessage", request)
        return str(response["ts"])

    async def _find(self, client: AsyncWebClient, channel_id: str, key: str) -> dict[str, str]:
        """{part key: ts} of this key's parts among the channel's latest messages."""
        found: dict[str, str] = {}
        cursor: str | None = None
        read = 0
        try:
            while read < HISTORY_SCAN:
                request = partial(
                    client.conversations_history,
                    channel=channel_id,
                    limit=100,
                    include_all_metadata=True,
                    cursor=cursor,
                )
                page = await self.api.call("conversations.history", request)
                messages = page.get("messages") or []
                read += len(messages)
                for earlier in messages:
                    meta = earlier.get("metadata") or {}
                    part = (meta.get("event_payload") or {}).get("key")
                    if meta.get("event_type") == METADATA_TYPE and str(part).startswith(key):
                        found.setdefault(str(part), str(earlier["ts"]))
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not page.get("has_more") or not cursor or not messages:
                    break
        except SendError as err:
            # No history scope, or the bot is not in the channel: the send goes ahead.
            log.info("no history check before a send in doubt: %s", err.reason)
        return found

    async def post_ephemeral(
        self, client: AsyncWebClient, channel_id: str, user_id: str, part: SlackMessage
    ) -> None:
        request = partial(
            client.chat_postEphemeral,
            channel=channel_id,
            user=user_id,
            text=part.text,
            blocks=list(part.blocks),
        )
        await self.api.call("chat.postEphemeral", request)

    async def upload(
        self,
        client: AsyncWebClient,
        channel_id: str,
        attachments: tuple[Attachment, ...],
        thread_ts: str | None = None,
    ) -> None:
        uploads = [
            {"content": a.content, "filename": a.filename, "title": a.filename} for a in attachments
        ]
        request = partial(
            client.files_upload_v2, file_uploads=uploads, channel=channel_id, thread_ts=thread_ts
        )
        await self.api.call("files.upload", request)

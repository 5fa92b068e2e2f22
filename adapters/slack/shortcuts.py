"""Message shortcuts: the registry's message actions in a Slack message's menu (More actions).

The manifest declares one message shortcut per message action, its callback_id the command's
action id (`manifest.message_shortcuts`). Used on a message, it runs the command with the
message's text and, when the message is a reply in a thread, the text of the thread's first
message, read with `conversations.replies` (the `channels:history` / `groups:history` /
`im:history` scopes); "" otherwise, and the core says what is missing. Rights, lengths and
errors are the core's, exactly as for a typed command: nothing is checked here.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from functools import partial

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.inbound import MessageShortcut, unescape
from adapters.slack.webapi import WebApi
from bot.dispatch import Dispatcher
from bot.errors import SendError
from bot.identity import Caller
from bot.messages import Reply
from bot.registry import Registry

log = logging.getLogger(__name__)


class MessageShortcuts:
    def __init__(self, registry: Registry, dispatcher: Dispatcher, api: WebApi) -> None:
        self.registry = registry
        self.dispatcher = dispatcher
        self.api = api

    def callback_ids(self) -> re.Pattern[str] | None:
        """The callback ids bolt routes here: the registry's message actions and none else (a
        shortcut the code no longer has gets bolt's "unhandled request", which Slack shows)."""
        ids = [re.escape(spec.action_id) for spec in self.registry.message_actions()]
        return re.compile(f"^(?:{'|'.join(ids)})$") if ids else None

    async def run(
        self, client: AsyncWebClient, caller: Caller, used: MessageShortcut
    ) -> Reply | None:
        spec = self.registry.by_action(used.action_id)
        assert spec is not None and spec.message_action is not None  # see callback_ids
        action = spec.message_action
        place = used.invocation.place
        parent = await self._first_message(client, place.channel.channel_id, used.thread_ts)
        options = {action.text_option: used.invocation.text, action.parent_option: parent}
        reply = await self.dispatcher.handle(caller, place, spec.path, options)
        # For whoever used the shortcut only: Slack cannot post an app's answer to a shortcut
        # in the message's thread, and the channel at large did not ask.
        return None if reply is None else replace(reply, ephemeral=True)

    async def _first_message(
        self, client: AsyncWebClient, channel_id: str, thread_ts: str | None
    ) -> str:
        """The text of a thread's first message; "" for no thread, or one the bot cannot read
        (not in the channel, a scope missing): the core then answers as for no question."""
        if thread_ts is None:
            return ""
        request = partial(client.conversations_replies, channel=channel_id, ts=thread_ts, limit=1)
        try:
            page = await self.api.call("conversations.replies", request)
        except SendError as err:
            log.warning("thread %s in %s unreadable: %s", thread_ts, channel_id, err.reason)
            return ""
        messages = page.get("messages") or []
        return unescape(str(messages[0].get("text") or "")) if messages else ""

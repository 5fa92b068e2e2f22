"""Ordinary channel messages -> the core's listeners (the FAQ's passive mode) -> a reply.

Only with `[discord] message_content = true`: without the privileged MESSAGE_CONTENT intent
Discord sends no guild messages we could read. Messages from bots (ours included), system
messages and direct messages are ignored. The answer is a Discord reply to the message (it
shows the question it answers, pings nobody), never a new thread: creating threads needs an
extra permission that a reply does not.
"""

from __future__ import annotations

import logging

import discord

from adapters.discord.inbound import message_caller, message_place
from adapters.discord.render import render_reply
from adapters.discord.sender import FAILURES
from bot.dispatch import Dispatcher
from bot.logs import request_context

log = logging.getLogger(__name__)

_PLAIN = (discord.MessageType.default, discord.MessageType.reply)


async def answer_channel_message(
    dispatcher: Dispatcher, message: discord.Message, default_locale: str
) -> None:
    if message.author.bot or message.guild is None or message.type not in _PLAIN:
        return
    with request_context(f"discord:{message.id}"):
        await _answer(dispatcher, message, default_locale)


async def _answer(dispatcher: Dispatcher, message: discord.Message, default_locale: str) -> None:
    caller = message_caller(message, default_locale)
    reply = await dispatcher.handle_message(caller, message_place(message), message.content)
    if reply is None:
        return
    parts = render_reply(reply)
    try:
        await message.reply(**parts[0].send_kwargs(), mention_author=False)
        for part in parts[1:]:
            await message.channel.send(**part.send_kwargs())
    except FAILURES as exc:
        log.warning("reply to message %s in %s lost: %r", message.id, message.channel.id, exc)

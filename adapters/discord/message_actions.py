"""Core message actions -> Discord message context menu commands ("Apps" in a message's menu).

Each spec with a `message_action` becomes an `app_commands.ContextMenu` of type message, named
by the action's English label and localised in French through `SpecTranslator`, like the slash
commands. Discord hands the callback the message picked; the command then runs as a typed one
would (`Responder.gathered`: the core checks rights and option lengths, never this module),
with two text options filled from Discord: the message's text, and the text of the message it
answers (`parent_text`).

Discord gives the picked message's content even without the privileged MESSAGE_CONTENT intent,
but not always the content of the message it answers: without the intent enabled for the
application, a message fetched over REST comes back empty (unless it is the bot's own or
mentions it). The core then says it finds no question; nothing fails here.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import discord
from discord import app_commands

from adapters.discord.commands import localised_name
from adapters.discord.sender import FAILURES
from bot.registry import Registry
from bot.spec import CommandSpec, MessageAction

log = logging.getLogger(__name__)


class MessageActionHooks(Protocol):
    """What a message's menu entry calls back into (the adapter implements it)."""

    async def run_message_action(
        self, interaction: discord.Interaction, spec: CommandSpec, message: discord.Message
    ) -> None: ...


def build_message_actions(
    registry: Registry, hooks: MessageActionHooks
) -> list[app_commands.ContextMenu]:
    return [build_message_action(spec, hooks) for spec in registry.message_actions()]


def build_message_action(spec: CommandSpec, hooks: MessageActionHooks) -> app_commands.ContextMenu:
    action = _action(spec)

    # discord.py reads the menu's type from the annotation of the callback's second parameter.
    async def invoke(interaction: discord.Interaction, message: discord.Message) -> None:
        await hooks.run_message_action(interaction, spec, message)

    invoke.__qualname__ = invoke.__name__ = "_".join(spec.path)
    # The English label is the name interactions carry whatever the member's language.
    return app_commands.ContextMenu(
        name=localised_name(action.label.en, action.label.fr),
        callback=invoke,
        type=discord.AppCommandType.message,
        extras={"spec": spec},
    )


async def action_options(
    spec: CommandSpec, interaction: discord.Interaction, message: discord.Message
) -> dict[str, Any]:
    """The command's options as the core's `MessageAction` describes them."""
    action = _action(spec)
    return {
        action.text_option: message.content,
        action.parent_option: await parent_text(interaction, message),
    }


async def parent_text(interaction: discord.Interaction, message: discord.Message) -> str:
    """The text of the message `message` answers: the one it replies to, else its thread's
    first message; "" when it answers none or that message cannot be read."""
    reference = message.reference
    if reference is not None and reference.type is discord.MessageReferenceType.reply:
        if isinstance(reference.resolved, discord.Message):
            return reference.resolved.content
        if isinstance(reference.resolved, discord.DeletedReferencedMessage):
            return ""
        if reference.message_id is not None:  # Discord did not include it: ask for it
            return await _fetched_text(interaction, reference.channel_id, reference.message_id)
    thread = interaction.channel
    if isinstance(thread, discord.Thread) and thread.id == message.channel.id:
        if message.id == thread.id:  # a forum post's own first message answers nothing
            return ""
        # A thread started from a message shares that message's id, which stays in the parent
        # channel; a forum post's first message lives in the post itself.
        where = thread.id if isinstance(thread.parent, discord.ForumChannel) else thread.parent_id
        return await _fetched_text(interaction, where, thread.id)
    return ""


async def _fetched_text(interaction: discord.Interaction, channel_id: int, message_id: int) -> str:
    channel = interaction.client.get_partial_messageable(channel_id, guild_id=interaction.guild_id)
    try:
        return (await channel.fetch_message(message_id)).content
    except FAILURES as exc:  # deleted, hidden from the bot, or Discord unreachable
        log.warning(
            "message %s in %s unreadable for a message action: %r", message_id, channel_id, exc
        )
        return ""


def _action(spec: CommandSpec) -> MessageAction:
    if spec.message_action is None:
        raise ValueError(f"{spec.name}: no message action")
    return spec.message_action

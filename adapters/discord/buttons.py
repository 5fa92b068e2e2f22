"""Buttons that keep working after a restart: one dynamic item for every `fb:` custom id.

A core `Button` carries its action and arguments in its custom id (`fb:event.rsvp:id=12`).
discord.py matches the custom id of every click against this item's template, whatever
message it sits on, so no view has to be stored or re-registered per message: a process that
never saw the message still routes the click to the dispatcher.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, runtime_checkable

import discord

from bot.messages import ACTION_PREFIX

TEMPLATE = re.compile(rf"{ACTION_PREFIX}:(?P<action>[a-z0-9_.-]+):(?P<value>.*)")


@runtime_checkable
class ActionClient(Protocol):
    """The client a click is routed through (our adapter's client implements it)."""

    async def on_action(
        self, interaction: discord.Interaction, action: str, value: str
    ) -> None: ...


class ActionButton(discord.ui.DynamicItem[discord.ui.Button], template=TEMPLATE):
    def __init__(self, item: discord.ui.Button[Any], action: str, value: str) -> None:
        super().__init__(item)
        self.action = action
        self.value = value

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ActionButton:
        if not isinstance(item, discord.ui.Button):
            raise TypeError(f"not a button: {item!r}")  # logged and ignored by discord.py
        return cls(item, match["action"], match["value"])

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        if isinstance(client, ActionClient):
            await client.on_action(interaction, self.action, self.value)

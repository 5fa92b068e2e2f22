"""Discord interactions -> the core's neutral identity: who (Caller) and where (Place).

Roles are not checked here: the caller's Discord role ids go into `Caller.groups`, and the core
matches them against the grants of its config (`discord:<guild>:<role id>`). Role names are
never used: anyone can name a role "Équipe fédérale" in their own server.
"""

from __future__ import annotations

import discord

from bot.identity import DIRECT_MESSAGES, Caller, ChannelRef, Place

PLATFORM = "discord"
DM_WORKSPACE = DIRECT_MESSAGES  # a DM has no guild


def workspace_of(interaction: discord.Interaction) -> str:
    return str(interaction.guild_id) if interaction.guild_id else DM_WORKSPACE


def caller_of(interaction: discord.Interaction) -> Caller:
    user = interaction.user
    return Caller(
        platform=PLATFORM,
        workspace=workspace_of(interaction),
        user_id=str(user.id),
        display_name=user.display_name,
        locale=interaction.locale.value,  # "fr", "en-US", "en-GB"…: the core maps it
        groups=role_groups(user),
        is_bot=user.bot,
    )


def role_groups(user: discord.User | discord.Member) -> frozenset[str]:
    """Ids of the member's roles (an interaction carries them)."""
    if not isinstance(user, discord.Member):
        return frozenset()
    return frozenset(str(role.id) for role in user.roles if not role.is_default())


def place_of(interaction: discord.Interaction) -> Place:
    channel = ChannelRef(PLATFORM, workspace_of(interaction), str(interaction.channel_id or ""))
    message = interaction.message
    thread = interaction.channel
    return Place(
        channel,
        thread_id=str(thread.id) if isinstance(thread, discord.Thread) else None,
        message_id=str(message.id) if message is not None else None,
    )


def message_caller(message: discord.Message, default_locale: str) -> Caller:
    """The author of a channel message. A message carries no locale: the guild's preferred
    one stands in for it (the member's own is only known in interactions)."""
    author = message.author
    guild = message.guild
    locale = guild.preferred_locale.value if guild is not None else default_locale
    return Caller(
        platform=PLATFORM,
        workspace=str(guild.id) if guild is not None else DM_WORKSPACE,
        user_id=str(author.id),
        display_name=author.display_name,
        locale=locale,
        groups=role_groups(author),
        is_bot=author.bot,
    )


def message_place(message: discord.Message) -> Place:
    """Where a message was typed; `message_id` identifies it (answered once at most)."""
    guild = message.guild
    workspace = str(guild.id) if guild is not None else DM_WORKSPACE
    channel = message.channel
    return Place(
        ChannelRef(PLATFORM, workspace, str(channel.id)),
        thread_id=str(channel.id) if isinstance(channel, discord.Thread) else None,
        message_id=str(message.id),
    )

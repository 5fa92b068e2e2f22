"""What the bot needs from Discord and may be missing, for `fedbot doctor`.

Works on a client logged in over HTTP only (no gateway): each server is read through the REST
API, the bot's permissions computed from its roles there, as Discord computes them (channel
overwrites aside: scheduled events need the server-wide permission).
"""

from __future__ import annotations

import aiohttp
import discord

from bot.platform_settings import DiscordSettings


async def missing_permissions(settings: DiscordSettings, client: discord.Client) -> list[str]:
    """One readable line per server of `discord.scheduled_events` where the bot lacks Manage
    Events (or Create Events, which Discord now accepts for the events a bot creates itself),
    or which it cannot see; none when all is well."""
    lines: list[str] = []
    for guild_id in settings.scheduled_events:
        where = f"Discord server {guild_id}"
        try:
            guild = await client.fetch_guild(int(guild_id))
            assert client.user is not None
            me = await guild.fetch_member(client.user.id)
        except (discord.NotFound, discord.Forbidden):
            lines.append(
                f"{where}: scheduled events are on (discord.scheduled_events), but the bot is "
                "not in this server: invite it, or remove the server from the list"
            )
            continue
        except discord.HTTPException as exc:
            lines.append(f"{where}: could not be checked (HTTP {exc.status}); try again")
            continue
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            lines.append(f"{where}: could not be checked ({type(exc).__name__}); try again")
            continue
        granted = me.guild_permissions
        # Create Events is enough for the events the bot creates, which are all it touches.
        if not (granted.manage_events or granted.create_events):
            lines.append(
                f"{where} ({guild.name}): scheduled events are on (discord.scheduled_events), "
                "but the bot lacks the Manage Events permission: give it to the bot's role "
                "(Server Settings > Roles), or no event is added to the Events tab"
            )
    return lines

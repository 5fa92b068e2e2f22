"""`fedbot discord roles`: the ids config grants use, read from Discord.

Logs in over HTTP only (no gateway), then one line per server the bot is in and one per role,
written as the grant that names it: `discord:123…:456…  @Équipe fédérale`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.discord.adapter import DiscordAdapter

if TYPE_CHECKING:
    from bot.app import BotApp


async def role_lines(app: BotApp) -> list[str]:
    adapter = DiscordAdapter(app)
    client = await adapter.login()
    listed = set(app.config.federation.discord_guilds)
    lines: list[str] = []
    try:
        async for guild in client.fetch_guilds(limit=200):
            where = "in" if str(guild.id) in listed else "NOT in"
            lines.append(f"server {guild.id}  {guild.name}  ({where} federation.discord_guilds)")
            for role in sorted(await guild.fetch_roles(), key=lambda r: -r.position):
                if not role.is_default():
                    lines.append(f"  discord:{guild.id}:{role.id}  @{role.name}")
    finally:
        await adapter.stop()
    return lines

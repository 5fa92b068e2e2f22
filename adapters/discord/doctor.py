"""`fedbot doctor`, Discord's part: `DISCORD_TOKEN` logs in (over HTTP only, no gateway), and
when `discord.message_content` is on, the application has the privileged MESSAGE_CONTENT
intent switched on in the developer portal (else Discord refuses the gateway connection); the
shards the config gives this process, beside the number Discord recommends.

When `discord.scheduled_events` lists servers, the bot holds Manage Events (or Create Events)
in each of them: else nothing reaches their Events tab.
"""

from __future__ import annotations

import aiohttp
import discord

from adapters.discord.adapter import point_at
from adapters.discord.checks import missing_permissions
from bot.checkup import Finding, Situation
from bot.errors import ConfigError
from bot.platform_settings import DiscordSettings


async def discord_findings(situation: Situation) -> list[Finding]:
    config = situation.config
    token = config.secrets.discord_token
    if not token:
        return [Finding(None, "discord", "not configured (no DISCORD_TOKEN)")]
    try:
        restore = point_at(config.discord)
    except ConfigError as exc:
        return [Finding(False, "discord", str(exc))]
    client = discord.Client(intents=discord.Intents.none())
    try:
        return await _logged_in(situation, client, token)
    finally:
        await client.close()
        restore()


async def _logged_in(situation: Situation, client: discord.Client, token: str) -> list[Finding]:
    try:
        await client.login(token)
    except discord.LoginFailure:
        return [Finding(False, "DISCORD_TOKEN", "refused by Discord")]
    except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
        return [Finding(False, "DISCORD_TOKEN", f"Discord cannot be reached: {exc!r}"[:200])]
    user = client.user
    found = [Finding(True, "DISCORD_TOKEN", f"bot {user} (id {user.id if user else '?'})")]
    found += await _events_permission(situation, client)
    found.append(await _shards(client, situation.config.discord))
    if not situation.config.discord.message_content:
        found.append(Finding(True, "discord intents", "no privileged intent needed"))
        return found
    try:
        info = await client.application_info()
    except discord.HTTPException as exc:
        found.append(Finding(False, "discord intents", f"application not readable: {exc}"))
        return found
    flags = info.flags
    if flags.gateway_message_content or flags.gateway_message_content_limited:
        found.append(Finding(True, "discord intents", "MESSAGE_CONTENT is on for the application"))
    else:
        found.append(
            Finding(
                False,
                "discord intents",
                "discord.message_content is on but the application lacks the MESSAGE_CONTENT "
                "intent: switch it on in the developer portal (Bot → Privileged Gateway "
                "Intents), or Discord refuses the connection",
            )
        )
    return found


async def _events_permission(situation: Situation, client: discord.Client) -> list[Finding]:
    settings = situation.config.discord
    if not settings.scheduled_events:
        return []
    missing = await missing_permissions(settings, client)
    if missing:
        return [Finding(False, "discord events", line) for line in missing]
    count = len(settings.scheduled_events)
    return [Finding(True, "discord events", f"Manage Events granted in {count} server(s)")]


async def _shards(client: discord.Client, settings: DiscordSettings) -> Finding:
    """Informative: Discord refuses only a shard with more than 2,500 servers (close code
    4011), which `fedbot run` then says."""
    try:
        recommended, _, _ = await client.http.get_bot_gateway()
    except (discord.DiscordException, aiohttp.ClientError, OSError) as exc:
        return Finding(False, "discord shards", f"gateway not readable: {exc!r}"[:200])
    if settings.shard_count is None:
        text = f"one process connects every shard (Discord recommends {recommended})"
        return Finding(True, "discord shards", text)
    ids = ",".join(map(str, settings.shard_ids)) or "all"
    text = f"{ids} of {settings.shard_count} in this process (Discord recommends {recommended})"
    return Finding(True, "discord shards", text)

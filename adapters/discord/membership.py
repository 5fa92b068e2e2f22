"""Which federation servers a user belongs to, for direct messages.

A DM interaction carries no server and no roles. The core admits a DM caller who is a member of
a federation server; the bot is only ever in federation servers (it leaves the others), so this
asks each of its servers for the member (REST, no privileged intent) and caches the answer for
a minute, so that someone who left a server loses access within that time.
"""

from __future__ import annotations

import asyncio
import logging

import discord

from adapters.cache import TtlCache

log = logging.getLogger(__name__)

MEMBERSHIP_TTL = 60.0
LOOKUP_TIMEOUT = 1.5  # seconds: the answer must still fit in Discord's 3-second deadline


class DmMembership:
    def __init__(self) -> None:
        self._homes: TtlCache[int, frozenset[str]] = TtlCache(MEMBERSHIP_TTL)
        self._roles: TtlCache[tuple[str, str], frozenset[str]] = TtlCache(MEMBERSHIP_TTL)
        self._servers: TtlCache[str, tuple[int, ...]] = TtlCache(MEMBERSHIP_TTL)

    async def roles(
        self, client: discord.AutoShardedClient, guild_id: str, user_id: str
    ) -> frozenset[str]:
        """A member's role ids in a server, for callers that come from no interaction (the
        dashboard), cached a minute like memberships: a removed role stops granting then.
        Over REST when the server is on another process's shard (not in this cache)."""
        cached = self._roles.get((guild_id, user_id))
        if cached is not None:
            return cached
        found: frozenset[str] = frozenset()
        if guild_id.isdigit() and user_id.isdigit():
            found = await _role_ids(client, int(guild_id), int(user_id))
        self._roles.put((guild_id, user_id), found)
        return found

    async def homes(self, client: discord.AutoShardedClient, user_id: int) -> frozenset[str]:
        cached = self._homes.get(user_id)
        if cached is not None:
            return cached
        try:
            homes = await asyncio.wait_for(self._look_up(client, user_id), LOOKUP_TIMEOUT)
        except TimeoutError:
            log.warning("membership of user %s: Discord too slow, treated as none", user_id)
            return frozenset()
        self._homes.put(user_id, homes)
        return homes

    async def _look_up(self, client: discord.AutoShardedClient, user_id: int) -> frozenset[str]:
        guilds = await self._servers_of(client)
        found = await asyncio.gather(*(_is_member(client, g, user_id) for g in guilds))
        return frozenset(str(g) for g, member in zip(guilds, found, strict=True) if member)

    async def _servers_of(self, client: discord.AutoShardedClient) -> tuple[int, ...]:
        """Every server of the bot. A process that connects every shard has them all in its
        cache; one that shares the shards with other processes asks the REST API (direct
        messages all come to shard 0, the members' servers may be on any shard)."""
        local = tuple(g.id for g in client.guilds)
        if client.shard_ids is None or len(client.shard_ids) == client.shard_count:
            return local
        cached = self._servers.get("all")
        if cached is None:
            cached = tuple([g.id async for g in client.fetch_guilds(limit=None)])
            self._servers.put("all", cached)
        return cached


async def _is_member(client: discord.AutoShardedClient, guild_id: int, user_id: int) -> bool:
    guild = client.get_guild(guild_id)
    if guild is not None and guild.get_member(user_id) is not None:
        return True
    try:
        await client.http.get_member(guild_id, user_id)
    except discord.NotFound:
        return False
    except discord.HTTPException as exc:
        log.info("membership of user %s in %s unknown: %s", user_id, guild_id, exc)
        return False
    return True


async def _role_ids(
    client: discord.AutoShardedClient, guild_id: int, user_id: int
) -> frozenset[str]:
    guild = client.get_guild(guild_id)
    member = guild.get_member(user_id) if guild is not None else None
    if member is not None:
        return frozenset(str(r.id) for r in member.roles if not r.is_default())
    try:  # a member's payload lists their roles, never @everyone
        data = await client.http.get_member(guild_id, user_id)
    except discord.HTTPException as exc:
        log.info("roles of user %s in %s unknown: %s", user_id, guild_id, exc)
        return frozenset()
    return frozenset(str(r) for r in data.get("roles") or ())

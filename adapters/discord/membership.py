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

    async def roles(self, client: discord.Client, guild_id: str, user_id: str) -> frozenset[str]:
        """A member's role ids in a server, for callers that come from no interaction (the
        dashboard), cached a minute like memberships: a removed role stops granting then."""
        cached = self._roles.get((guild_id, user_id))
        if cached is not None:
            return cached
        guild = client.get_guild(int(guild_id)) if guild_id.isdigit() else None
        found: frozenset[str] = frozenset()
        if guild is not None and user_id.isdigit():
            try:
                member = guild.get_member(int(user_id)) or await guild.fetch_member(int(user_id))
            except discord.HTTPException as exc:
                log.info("roles of user %s in %s unknown: %s", user_id, guild_id, exc)
            else:
                found = frozenset(str(r.id) for r in member.roles if not r.is_default())
        self._roles.put((guild_id, user_id), found)
        return found

    async def homes(self, client: discord.Client, user_id: int) -> frozenset[str]:
        cached = self._homes.get(user_id)
        if cached is not None:
            return cached
        guilds = list(client.guilds)
        try:
            found = await asyncio.wait_for(
                asyncio.gather(*(self._is_member(g, user_id) for g in guilds)), LOOKUP_TIMEOUT
            )
        except TimeoutError:
            log.warning("membership of user %s: Discord too slow, treated as none", user_id)
            return frozenset()
        homes = frozenset(str(g.id) for g, member in zip(guilds, found, strict=True) if member)
        self._homes.put(user_id, homes)
        return homes

    @staticmethod
    async def _is_member(guild: discord.Guild, user_id: int) -> bool:
        if guild.get_member(user_id) is not None:
            return True
        try:
            await guild.fetch_member(user_id)
        except discord.NotFound:
            return False
        except discord.HTTPException as exc:
            log.info("membership of user %s in %s unknown: %s", user_id, guild.id, exc)
            return False
        return True

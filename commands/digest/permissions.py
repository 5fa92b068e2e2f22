"""Who manages which digests. Checked here, once, for every platform (never in adapters).

A digest belongs to its channel, and the channel to an agency: a moderator manages the digests
of the channels of the agencies they moderate (any of those channels, on any platform,
wherever the command is typed); staff manage every digest, including those of channels that
belong to no agency (a staff channel, say).
"""

from __future__ import annotations

from bot.context import CommandContext
from bot.errors import UserError
from bot.identity import ChannelRef
from bot.roles import Access
from bot.services import Services
from bot.storage.agencies import Agency
from commands.digest.store.digests import DigestConfig, DigestRepo

LIST_LIMIT = 20  # digests shown by `digest list` (one field each)


async def may_manage(ctx: CommandContext, channel: ChannelRef) -> Agency | None:
    """Check that the caller manages `channel`'s digests; returns the channel's agency."""
    target = await ctx.services.agencies.agency_of(channel)
    if ctx.access.moderates_agency(target.id if target else None):
        return target
    if target is None:
        raise UserError("digest.not_agency_channel")
    raise UserError("digest.not_your_agency", agency=target.name)


async def find_digest(ctx: CommandContext, digest_id: int) -> DigestConfig:
    """A digest the caller manages; another agency's digest is refused by its number."""
    digest = await ctx.services.get(DigestRepo).get(digest_id)
    if digest is None:
        raise UserError("digest.not_found", id=digest_id)
    try:
        await may_manage(ctx, digest.channel)
    except UserError:
        raise UserError("digest.not_yours", id=digest_id) from None
    return digest


async def visible_digests(
    services: Services, access: Access, limit: int = LIST_LIMIT
) -> tuple[list[DigestConfig], int]:
    """What `digest list` shows (the dashboard and the App Home: more or less of it): every
    digest to staff, their agencies' to a moderator; and how many there are."""
    if access.is_staff:
        return await services.get(DigestRepo).first(limit)
    agency_ids = (
        [a.id for a in await services.agencies.list()]
        if access.every_agency
        else sorted(access.moderates)
    )
    channels = await services.agencies.channels(agency_ids=agency_ids)
    found = await services.get(DigestRepo).in_channels(c.ref for c in channels)
    return found[:limit], len(found)

"""Who manages which digests. Checked here, once, for every platform (never in adapters).

Roles are global (config); agencies are places. The rule, the same as for events: a moderator
manages the digests of the channels of the agency whose channel they type the command in (any
of that agency's channels, on any platform); staff manage every digest, including those of
channels that belong to no agency (a staff channel, say). A moderator typing outside an agency
channel manages none.
"""

from __future__ import annotations

from bot.context import CommandContext
from bot.errors import UserError
from bot.identity import ChannelRef
from bot.spec import Role
from bot.storage.agencies import Agency
from bot.storage.digests import DigestConfig

LIST_LIMIT = 20  # digests shown by `digest list` (one field each)


async def home_agency(ctx: CommandContext) -> Agency:
    """The agency whose channel a moderator is typing in."""
    here = await ctx.services.agencies.agency_of(ctx.place.channel)
    if here is None:
        raise UserError("digest.not_agency_channel")
    return here


async def may_manage(ctx: CommandContext, channel: ChannelRef) -> Agency | None:
    """Check that the caller manages `channel`'s digests; returns the channel's agency."""
    target = await ctx.services.agencies.agency_of(channel)
    if ctx.role >= Role.STAFF:
        return target
    if ctx.role < Role.MODERATOR:  # the specs already say so; kept for direct callers
        raise UserError("core.forbidden", role=ctx.t("core.role.moderator"))
    here = await home_agency(ctx)
    if target is None or target.id != here.id:
        raise UserError("digest.not_your_agency", agency=here.name)
    return target


async def find_digest(ctx: CommandContext, digest_id: int) -> DigestConfig:
    """A digest the caller manages; another agency's digest is refused by its number."""
    digest = await ctx.services.digests.get(digest_id)
    if digest is None:
        raise UserError("digest.not_found", id=digest_id)
    try:
        await may_manage(ctx, digest.channel)
    except UserError:
        raise UserError("digest.not_yours", id=digest_id) from None
    return digest


async def visible_digests(ctx: CommandContext) -> tuple[list[DigestConfig], int]:
    """What `digest list` shows: every digest to staff, the home agency's to a moderator."""
    services = ctx.services
    if ctx.role >= Role.STAFF:
        return await services.digests.first(LIST_LIMIT)
    here = await home_agency(ctx)
    channels = await services.agencies.channels(agency_ids=[here.id])
    found = await services.digests.in_channels(c.ref for c in channels)
    return found[:LIST_LIMIT], len(found)

"""Finding an event, and who may organise what. Checked here, once, for every platform
(never in adapters).

Roles are global (config), agencies are places: a moderator organises for the agency whose
channel they type in. Staff organise for any agency, or for the whole federation.
"""

from __future__ import annotations

from bot.context import CommandContext
from bot.errors import UserError
from bot.spec import Role
from bot.storage.agencies import Agency
from bot.storage.events import Event


async def find_event(ctx: CommandContext, event_id: int) -> Event:
    event = await ctx.services.events.get(event_id)
    if event is None:
        raise UserError("events.not_found", id=event_id)
    return event


async def organising_agency(ctx: CommandContext, name: str | None) -> Agency | None:
    """The agency an event is created for: the one named, else the channel's. None means a
    federation-wide event (staff only)."""
    here = await ctx.services.agencies.agency_of(ctx.place.channel)
    if name:
        agency = await ctx.services.agencies.find(name)
        if agency is None:
            raise UserError("agency.not_found", name=name[:60])
    else:
        agency = here
    if ctx.role >= Role.STAFF:
        return agency
    if agency is None:
        raise UserError("events.agency_needed")
    if here is None or here.id != agency.id:
        raise UserError("events.not_your_agency", name=agency.name)
    return agency


async def may_organise(ctx: CommandContext, event: Event) -> bool:
    """The creator, a moderator in a channel of the organising agency, or staff."""
    if ctx.role >= Role.STAFF:
        return True
    caller = ctx.caller
    member = await ctx.services.members.find(caller.platform, caller.workspace, caller.user_id)
    if member is not None and event.created_by == member.id:
        return True
    if ctx.role < Role.MODERATOR or event.fields.agency_id is None:
        return False
    here = await ctx.services.agencies.agency_of(ctx.place.channel)
    return here is not None and here.id == event.fields.agency_id


async def require_organiser(ctx: CommandContext, event: Event) -> None:
    if not await may_organise(ctx, event):
        raise UserError("events.not_organiser", id=event.id)

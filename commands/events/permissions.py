"""Finding an event, and who may organise what. Checked here, once, for every platform
(never in adapters).

Rights are checked against the event itself, never against the channel a command is typed in:
staff organise for any agency or the whole federation, a moderator for the agencies they
moderate (`[[agencies]] moderators`), and whoever created an event may manage it.
"""

from __future__ import annotations

from bot.context import CommandContext
from bot.errors import UserError
from bot.storage.agencies import Agency
from commands.events.store.events import Event, EventRepo


async def find_event(ctx: CommandContext, event_id: int) -> Event:
    event = await ctx.services.get(EventRepo).get(event_id)
    if event is None:
        raise UserError("events.not_found", id=event_id)
    return event


async def organising_agency(ctx: CommandContext, name: str | None) -> Agency | None:
    """The agency an event is created for: the one named; else the channel's, when the caller
    may organise for it (a default, not a right); else the only agency a moderator moderates.
    None means a federation-wide event (staff only)."""
    access, agencies = ctx.access, ctx.services.agencies
    if name:
        agency = await agencies.find(name)
        if agency is None:
            raise UserError("agency.not_found", name=name[:60])
    else:
        agency = await agencies.agency_of(ctx.place.channel)
        if (
            not access.moderates_agency(agency.id if agency else None)
            and len(access.moderates) == 1
        ):
            agency = await agencies.get(next(iter(access.moderates)))
    if access.is_staff:
        return agency
    if agency is None:
        raise UserError("events.agency_needed")
    if not access.moderates_agency(agency.id):
        raise UserError("events.not_your_agency", name=agency.name)
    return agency


async def may_organise(ctx: CommandContext, event: Event) -> bool:
    """The creator, a moderator of the organising agency, or staff."""
    if ctx.access.moderates_agency(event.fields.agency_id):
        return True
    caller = ctx.caller
    member = await ctx.services.members.find(caller.platform, caller.workspace, caller.user_id)
    return member is not None and event.created_by == member.id


async def require_organiser(ctx: CommandContext, event: Event) -> None:
    if not await may_organise(ctx, event):
        raise UserError("events.not_organiser", id=event.id)

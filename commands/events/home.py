"""The events part of a member's home (bot/home.py): the events they answered, then the next
ones of their agency (from their profile; a moderator's agencies too) and of the whole
federation, each with the same RSVP buttons as its announcement."""

from __future__ import annotations

from bot.home import HomeContext
from bot.i18n import Translator
from bot.messages import Field, Message
from commands.events import render
from commands.events.store.events import Event, EventQuery, EventRepo
from commands.events.store.rsvps import Seats
from commands.events.store.tables import NOT_GOING
from commands.profile.store.profiles import ProfileRepo

SHOWN = 5
LOOKED_AT = 100  # upcoming events read to find the member's agency's and the federation's


async def events_home(ctx: HomeContext) -> list[Message]:
    repo, t = ctx.services.get(EventRepo), ctx.t
    answers = dict(await repo.rsvps.of_member(ctx.member.id, ctx.now)) if ctx.member else {}
    mine = [e for e in await repo.many(list(answers)) if answers[e.id] != NOT_GOING]
    agency_id = await _agency(ctx)
    theirs: set[int | None] = {agency_id, *ctx.access.moderates} - {None}
    upcoming = await repo.page(EventQuery(ctx.now), LOOKED_AT)
    others = [x.event for x in upcoming if x.event.id not in answers and _concerns(x.event, theirs)]
    shown = (sorted(mine, key=lambda e: e.starts_at) + others)[:SHOWN]
    seats = await repo.rsvps.seats([e.id for e in shown])
    hints = [] if shown else [t("events.home.none")]
    if agency_id is None and not ctx.access.moderates:
        hints.append(t("events.home.no_agency"))
    head = Message(title=t("events.home.title"), text="\n".join(hints))
    items = [
        Message(
            fields=(_line(event, seats[event.id], answers.get(event.id), t),),
            buttons=render.rsvp_buttons(event.id, t),
        )
        for event in shown
    ]
    return [head, *items, Message(footer=t("events.home.footer"))]


async def _agency(ctx: HomeContext) -> int | None:
    if ctx.member is None:
        return None
    profile = await ctx.services.get(ProfileRepo).get(ctx.member.id)
    return profile.agency_id if profile else None


def _concerns(event: Event, agencies: set[int | None]) -> bool:
    """Announced to every agency, or to the member's (their profile's, those they moderate)."""
    item = event.fields
    return item.audience == "all" or item.agency_id is None or item.agency_id in agencies


def _line(event: Event, seats: Seats, answer: str | None, t: Translator) -> Field:
    line = render.list_field(event, seats, t)
    if answer is None:
        return line
    mine = t("events.your_answer", answer=render.answer_label(answer, t))
    return Field(line.name, f"{line.value}\n{mine}", inline=False)

"""`event list|show|mine`: what is coming up, one event in full, and my answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.completion import rank
from bot.context import CommandContext
from bot.errors import UserError
from bot.i18n import normalise_lang, translator
from bot.identity import Caller
from bot.messages import Button, Field, Message, Reply
from commands.events import render
from commands.events.drafts import day_bound, tag_key
from commands.events.permissions import find_event, may_organise
from commands.events.store.events import EventQuery, EventRepo

if TYPE_CHECKING:
    from bot.services import Services

PAGE_SIZE = 6
MAX_CUSTOM_ID = 100  # Discord's limit for a button's custom_id
_FILTERS = ("agency", "region", "tag", "from", "to")


async def list_events(ctx: CommandContext) -> Reply:
    o, t, now = ctx.options, ctx.t, ctx.now()
    since = day_bound(o["from"], now, t.tz, ctx.lang, end_of_day=False) if o["from"] else now
    until = day_bound(o["to"], now, t.tz, ctx.lang, end_of_day=True) if o["to"] else None
    if until is not None and until <= since:
        raise UserError("events.empty_range")
    agency_ids = await _agency_filter(ctx)
    tag = tag_key(o["tag"]) if o["tag"] else None
    page = o["page"] or 1
    query = EventQuery(since, until, agency_ids, tag)
    found = await ctx.services.get(EventRepo).page(query, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    if not found:
        return Reply.text(t("events.no_more" if page > 1 else "events.none"))
    fields = tuple(render.list_field(x.event, x.seats, t) for x in found[:PAGE_SIZE])
    buttons: tuple[Button, ...] = ()
    footer = t("events.list_footer")
    if len(found) > PAGE_SIZE:
        args = {k: str(o[k]) for k in _FILTERS if o[k]} | {"page": str(page + 1)}
        button = Button(t("events.next_page"), "event.list", args)
        if len(button.custom_id) <= MAX_CUSTOM_ID:
            buttons = (button,)
        else:  # long filters do not fit in a button: say what to type instead
            footer = t("events.next_page_hint", page=page + 1)
    title = t("events.list_title", page=page)
    return Reply(Message(title=title, fields=fields, buttons=buttons, footer=footer))


async def _agency_filter(ctx: CommandContext) -> tuple[int, ...] | None:
    agencies = ctx.services.agencies
    ids: set[int] | None = None
    if name := ctx.options["agency"]:
        agency = await agencies.find(name)
        if agency is None:
            raise UserError("agency.not_found", name=name[:60])
        ids = {agency.id}
    if region := ctx.options["region"]:
        in_region = {a.id for a in await agencies.list(region)}
        if not in_region:
            raise UserError("events.unknown_region", region=region[:60])
        ids = in_region if ids is None else ids & in_region
    return None if ids is None else tuple(sorted(ids))


async def show_event(ctx: CommandContext) -> Reply:
    event = await find_event(ctx, ctx.options["event"])
    services, t = ctx.services, ctx.t
    seats = (await services.get(EventRepo).rsvps.seats([event.id]))[event.id]
    lines = []
    caller = ctx.caller
    member = await services.members.find(caller.platform, caller.workspace, caller.user_id)
    if member is not None:
        status = await services.get(EventRepo).rsvps.status_of(event.id, member.id)
        if status is not None:
            lines.append(t("events.your_answer", answer=render.answer_label(status, t)))
    if await may_organise(ctx, event):
        lines.append(t("events.organiser_hint", id=event.id))
    return Reply(render.event_message(event, seats, t, intro="\n".join(lines)))


async def my_events(ctx: CommandContext) -> Reply:
    services, t, caller = ctx.services, ctx.t, ctx.caller
    member = await services.members.find(caller.platform, caller.workspace, caller.user_id)
    answers = await services.get(EventRepo).rsvps.of_member(member.id, ctx.now()) if member else []
    if not answers:
        return Reply.text(t("events.mine_none"))
    found = {
        e.id: e for e in await services.get(EventRepo).many([event_id for event_id, _ in answers])
    }
    fields = tuple(
        Field(
            f"#{event_id} · {found[event_id].title}",
            f"{render.when_text(found[event_id].fields, t)} · {render.answer_label(status, t)}",
            inline=False,
        )
        for event_id, status in answers
        if event_id in found
    )
    return Reply(Message(title=t("events.mine_title"), fields=fields))


async def event_choices(services: Services, prefix: str, caller: Caller) -> list[tuple[str, str]]:
    """Autocomplete of event numbers: upcoming events by number or by words of their title
    ("12 · Nuit du numérique — 04/12 18:00")."""
    t = translator(normalise_lang(caller.locale), services.config.bot.timezone)
    upcoming = await services.get(EventRepo).page(EventQuery(services.clock.now()), 100)
    labels = {
        f"{e.id} · {e.title} — {t.datetime(e.starts_at, 'short')}": str(e.id)
        for e in (listed.event for listed in upcoming)
    }
    return [(label, labels[label]) for label in rank(prefix, list(labels))]

"""`event create|edit|cancel`: organisers publish, change and call off events.

Every change is announced where the event was announced and to everyone who answered; a send
that fails is counted in the organiser's reply but never undoes the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.context import CommandContext
from bot.errors import UserError
from bot.i18n import Translator
from bot.messages import Message, Reply
from bot.services import Services
from bot.storage.agencies import Agency
from commands.events import render
from commands.events.drafts import (
    check_link,
    check_start,
    day_bound,
    occurrences,
    parse_tags,
    resolve_end,
)
from commands.events.mirrors import cancel_mirrors, mirror_events, update_mirrors
from commands.events.notify import (
    Delivery,
    MessageFor,
    announce,
    audience_of,
    notify,
    tell_members,
)
from commands.events.permissions import find_event, organising_agency, require_organiser
from commands.events.store.events import Event, EventFields, EventRepo
from commands.events.store.rsvps import Seats

CLEAR = "-"  # `place:-` removes the place (also end, link, description, tags)
_COMPARED = ("title", "when", "place", "link", "description", "tags", "capacity")


async def create_event(ctx: CommandContext) -> Reply:
    o, now, tz = ctx.options, ctx.now(), ctx.t.tz
    start: datetime = o["start"]
    check_start(start, now)
    agency = await organising_agency(ctx, o["agency"])
    first = EventFields(
        title=o["title"],
        starts_at=start,
        ends_at=resolve_end(start, o["end"], o["duration"], tz, ctx.lang),
        description=o["description"] or "",
        place=o["place"] or "",
        link=check_link(o["link"]),
        agency_id=agency.id if agency else None,
        audience=_audience(ctx, agency),
        tags=parse_tags(o["tags"]),
        capacity=o["capacity"],
    )
    until = day_bound(o["until"], start, tz, ctx.lang, end_of_day=True) if o["until"] else None
    series = occurrences(first, o["repeat"] or "none", o["count"], until, tz)
    member = await ctx.services.members.ensure(ctx.caller, now)
    created = await ctx.services.get(EventRepo).create(series, member.id, now)
    delivery = await announce(ctx.services, created, now)
    intro = _created_text(created, delivery, ctx.t)
    ctx.services.home.changed()  # upcoming events show in members' homes
    mirrored = await mirror_events(ctx.services, created)
    if mirrored:
        intro += " " + ctx.t.plural("events.mirrored", mirrored)
    return Reply(render.event_message(created[0], Seats(), ctx.t, intro=intro))


def _audience(ctx: CommandContext, agency: Agency | None) -> str:
    choice = ctx.options["audience"] or ("agency" if agency else "all")
    if choice == "all" and not ctx.access.is_staff:
        raise UserError("events.audience_staff_only")
    if choice == "agency" and agency is None:
        raise UserError("events.agency_needed")
    return choice


def _created_text(created: Sequence[Event], delivery: Delivery, t: Translator) -> str:
    if len(created) == 1:
        head = t("events.created", id=created[0].id)
    else:
        head = t.plural("events.created_series", len(created), first=created[0].id)
    return f"{head} {delivery_text(delivery, t, 'events.announced')}"


def delivery_text(delivery: Delivery, t: Translator, key: str) -> str:
    if delivery.sent + delivery.failed == 0:
        return t(f"{key}_nowhere")
    text = t.plural(key, delivery.sent)
    if delivery.failed:
        text += " " + t.plural("events.failures", delivery.failed)
    return text


async def edit_event(ctx: CommandContext) -> Reply:
    now, services = ctx.now(), ctx.services
    event = await find_event(ctx, ctx.options["event"])
    _ensure_open(event, now)
    await require_organiser(ctx, event)
    old, new = event.fields, _edited(ctx, event.fields, now)
    changed = [name for name in _COMPARED if _value(old, name) != _value(new, name)]
    if not changed:
        raise UserError("events.nothing_to_change")
    change = await services.get(EventRepo).update(
        event.id, new, now, services.config.events.offsets
    )
    updated = change.event
    await update_mirrors(services, updated)
    await mirror_events(services, [updated])  # moved within the mirrors' horizon

    def message(t: Translator) -> Message:
        intro = changes_text(old, new, changed, t)
        title = t("events.changed_title", title=new.title)
        return render.event_message(updated, None, t, title=title, intro=intro)

    audience = await audience_of(services, [updated])
    delivery = await notify(services, updated, audience, message)
    if change.promoted:
        await tell_members(services, updated, change.promoted, promoted_message(updated))
    services.home.changed(await _people(services, [updated]))
    names = ", ".join(ctx.t(f"events.field_name.{name}") for name in changed)
    text = ctx.t("events.edited", id=event.id, changes=names)
    return Reply.text(f"{text} {delivery_text(delivery, ctx.t, 'events.notified')}")


def _edited(ctx: CommandContext, old: EventFields, now: datetime) -> EventFields:
    o = ctx.options
    start = o["start"] or old.starts_at
    if o["start"]:
        check_start(start, now)
    if o["end"] == CLEAR:
        end = None
    elif o["end"] or o["duration"]:
        end = resolve_end(start, o["end"], o["duration"], ctx.t.tz, ctx.lang)
    else:  # the start moved alone: the event keeps its length
        end = None if old.ends_at is None else start + (old.ends_at - old.starts_at)
    tags = old.tags if o["tags"] is None else parse_tags("" if o["tags"] == CLEAR else o["tags"])
    capacity = old.capacity if o["capacity"] is None else (o["capacity"] or None)
    return replace(
        old,
        title=o["title"] or old.title,
        starts_at=start,
        ends_at=end,
        description=_text(o["description"], old.description),
        place=_text(o["place"], old.place),
        link=check_link(_text(o["link"], old.link)),
        tags=tags,
        capacity=capacity,
    )


def _text(value: str | None, current: str) -> str:
    if value is None:
        return current
    return "" if value == CLEAR else value


def _value(item: EventFields, name: str) -> object:
    return (item.starts_at, item.ends_at) if name == "when" else getattr(item, name)


def changes_text(old: EventFields, new: EventFields, changed: list[str], t: Translator) -> str:
    lines = []
    if "when" in changed:
        before, after = render.when_text(old, t), render.when_text(new, t)
        lines.append(t("events.change.when", before=before, after=after))
    if "place" in changed:
        lines.append(t("events.change.place", before=old.place or "—", after=new.place or "—"))
    others = [n for n in changed if n not in ("when", "place")]
    if others:
        names = ", ".join(t(f"events.field_name.{n}") for n in others)
        lines.append(t("events.change.others", names=names))
    return "\n".join(lines)


def promoted_message(event: Event) -> MessageFor:
    def message(t: Translator) -> Message:
        intro = t("events.promoted", title=event.title)
        return render.event_message(event, None, t, intro=intro, buttons=False)

    return message


def _ensure_open(event: Event, now: datetime) -> None:
    if event.cancelled:
        raise UserError("events.is_cancelled", id=event.id)
    if (event.ends_at or event.starts_at) < now:
        raise UserError("events.is_over", id=event.id)


async def cancel_event(ctx: CommandContext) -> Reply:
    now, services = ctx.now(), ctx.services
    event = await find_event(ctx, ctx.options["event"])
    _ensure_open(event, now)
    await require_organiser(ctx, event)
    targets = [event]
    if ctx.options["series"]:
        if event.series_id is None:
            raise UserError("events.not_a_series", id=event.id)
        later = await services.get(EventRepo).series_after(event.series_id, event.starts_at)
        targets += [e for e in later if not e.cancelled]
    audience = await audience_of(services, targets)
    cancelled = [await services.get(EventRepo).cancel(e.id, now) for e in targets]
    for done in cancelled:
        await cancel_mirrors(services, done)
    services.home.changed(await _people(services, cancelled))
    reason = ctx.options["reason"] or ""

    def message(t: Translator) -> Message:
        return cancel_message(cancelled, reason, t)

    delivery = await notify(services, cancelled[0], audience, message)
    text = ctx.t.plural("events.cancelled", len(cancelled), id=event.id, title=event.title)
    return Reply.text(f"{text} {delivery_text(delivery, ctx.t, 'events.notified')}")


async def _people(services: Services, events: Sequence[Event]) -> set[int]:
    """The members who answered these events (their homes show them)."""
    found: set[int] = set()
    for event in events:
        found.update(a.member_id for a in await services.get(EventRepo).rsvps.roster(event.id))
    return found


def cancel_message(cancelled: Sequence[Event], reason: str, t: Translator) -> Message:
    first = cancelled[0]
    lines = [t("events.cancel_notice", when=render.when_text(first.fields, t))]
    if len(cancelled) > 1:
        last = t.date(cancelled[-1].starts_at, "long")
        lines.append(t.plural("events.cancel_series", len(cancelled), last=last))
    if reason:
        lines.append(t("events.cancel_reason", reason=reason))
    return Message(
        title=t("events.cancelled_title", title=first.title),
        text="\n".join(lines),
        footer=t("events.footer", id=first.id),
    )

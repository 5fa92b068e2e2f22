"""`event rsvp` (typed, or from the buttons of an announcement) and `event attendees`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache

from babel.lists import format_list

from bot.context import CommandContext
from bot.errors import UserError
from bot.i18n import Translator, translator
from bot.messages import Field, Message, Reply
from commands.events import render
from commands.events.mirrors import touch
from commands.events.notify import tell_members
from commands.events.organise import promoted_message
from commands.events.permissions import find_event, require_organiser
from commands.events.store.events import Event, EventRepo
from commands.events.store.rsvps import Attendee, EventGone, RsvpResult
from commands.events.store.tables import GOING, MAYBE, NOT_GOING, WAITLISTED

ANSWERS = {"going": GOING, "maybe": MAYBE, "no": NOT_GOING}
NAMES_SHOWN = 60  # per list; Slack and Discord cap a field at about 1,000 characters


async def rsvp(ctx: CommandContext) -> Reply:
    services, now = ctx.services, ctx.now()
    event = await find_event(ctx, ctx.options["event"])
    if event.cancelled:
        raise UserError("events.is_cancelled", id=event.id)
    if event.starts_at <= now:
        raise UserError("events.already_started", title=event.title)
    member = await services.members.ensure(ctx.caller, now)
    offsets = services.config.events.offsets
    answer = ANSWERS[ctx.options["answer"]]
    try:
        result = await services.get(EventRepo).rsvps.answer(
            event.id, member.id, answer, now, offsets
        )
    except EventGone:
        raise UserError("events.not_found", id=event.id) from None
    if result.promoted:
        await tell_members(services, event, result.promoted, promoted_message(event))
        services.home.changed(result.promoted)
    if result.status != result.previous:
        touch(services, event.id)
    return Reply.text(answer_text(result, event, offsets, ctx.t))


def answer_text(
    result: RsvpResult, event: Event, offsets: Sequence[timedelta], t: Translator
) -> str:
    title, when = event.title, render.when_text(event.fields, t)
    if result.status == WAITLISTED:
        return t("events.rsvp.waitlisted", title=title, position=result.position)
    if result.status == result.previous:
        return t(f"events.rsvp.same_{result.status}", title=title)
    if result.status == GOING:
        text = t("events.rsvp.going", title=title, when=when)
        return f"{text} {reminders_text(tuple(offsets), t)}".rstrip()
    text = t(f"events.rsvp.{result.status}", title=title)
    if result.previous in (GOING, WAITLISTED):
        text += " " + t(f"events.rsvp.left_{result.previous}")
    return text


def reminders_text(offsets: tuple[timedelta, ...], t: Translator) -> str:
    return _reminders_text(offsets, t.lang, t.tz.key)


@lru_cache(maxsize=8)
def _reminders_text(offsets: tuple[timedelta, ...], lang: str, tz: str) -> str:
    """The same sentence for every RSVP (offsets come from config): formatted once."""
    if not offsets:
        return ""
    t = translator(lang, tz)
    spans = [render.span_text(o, t) for o in offsets]
    return t("events.rsvp.reminders", offsets=format_list(spans, locale=t.locale))


async def attendees(ctx: CommandContext) -> Reply:
    event = await find_event(ctx, ctx.options["event"])
    await require_organiser(ctx, event)
    t = ctx.t
    roster = await ctx.services.get(EventRepo).rsvps.roster(event.id)
    by_status: dict[str, list[Attendee]] = {}
    for person in roster:
        by_status.setdefault(person.status, []).append(person)
    going, waiting = by_status.get(GOING, []), by_status.get(WAITLISTED, [])
    capacity = event.fields.capacity
    fields = [
        Field(
            t("events.roster.going", n=len(going), capacity=capacity or "∞"),
            _names(going, t, numbered=False),
            inline=False,
        ),
        Field(
            t("events.roster.maybe", n=len(by_status.get(MAYBE, []))),
            _names(by_status.get(MAYBE, []), t, numbered=False),
            inline=False,
        ),
    ]
    if waiting:
        fields.append(
            Field(
                t("events.roster.waitlist", n=len(waiting)),
                _names(waiting, t, numbered=True),
                inline=False,
            )
        )
    declined = len(by_status.get(NOT_GOING, []))
    title = t("events.roster.title", title=event.title)
    text = render.when_text(event.fields, t)
    footer = t.plural("events.roster.declined", declined)
    return Reply(Message(title=title, text=text, fields=tuple(fields), footer=footer))


def _names(people: list[Attendee], t: Translator, *, numbered: bool) -> str:
    if not people:
        return "—"
    names = [p.display_name or p.user_id for p in people[:NAMES_SHOWN]]
    if numbered:
        names = [f"{i}. {name}" for i, name in enumerate(names, 1)]
    text = "\n".join(names) if numbered else ", ".join(names)
    if len(people) > NAMES_SHOWN:
        text += " " + t("events.roster.more", n=len(people) - NAMES_SHOWN)
    return text

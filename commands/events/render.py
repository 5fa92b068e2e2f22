"""Events -> neutral messages (pure functions): the card with its RSVP buttons, list lines.

User text (titles, places, descriptions) goes into plain fields; the platform renderers escape
it, and nothing here builds mention syntax, so an event titled "@everyone" pings no one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from babel.units import format_unit

from bot.i18n import Translator
from bot.messages import Button, ButtonStyle, Field, Link, Message
from commands.events.store.events import Event, EventFields
from commands.events.store.rsvps import Seats
from commands.events.store.tables import GOING, MAYBE, NOT_GOING

RSVP_ACTION = "event.rsvp"
_BUTTONS = ((GOING, ButtonStyle.PRIMARY), (MAYBE, ButtonStyle.DEFAULT), ("no", ButtonStyle.DANGER))
DESCRIPTION_SHOWN = 900


def when_text(item: EventFields, t: Translator) -> str:
    start, end = item.starts_at, item.ends_at
    if end is None:
        return t("events.when.at", date=t.date(start), time=t.time(start))
    if t.date(start) == t.date(end):
        return t("events.when.same_day", date=t.date(start), start=t.time(start), end=t.time(end))
    return t(
        "events.when.span",
        start_date=t.date(start, "long"),
        start=t.time(start),
        end_date=t.date(end, "long"),
        end=t.time(end),
    )


def seats_text(event: Event, seats: Seats, t: Translator) -> str:
    capacity = event.fields.capacity
    if capacity is None:
        parts = [t.plural("events.seats.open", seats.going)]
    else:
        parts = [t.plural("events.seats.limited", seats.going, capacity=capacity)]
        if seats.waitlisted:
            parts.append(t.plural("events.seats.waitlist", seats.waitlisted))
    if seats.maybe:
        parts.append(t.plural("events.seats.maybe", seats.maybe))
    return " · ".join(parts)


def organiser(event: Event, t: Translator) -> str:
    return event.agency_name or t("events.federation")


def rsvp_buttons(event_id: int, t: Translator) -> tuple[Button, ...]:
    return tuple(
        Button(
            t(f"events.button.{answer}"),
            RSVP_ACTION,
            {"event": str(event_id), "answer": answer},
            style,
        )
        for answer, style in _BUTTONS
    )


def event_message(
    event: Event,
    seats: Seats | None,
    t: Translator,
    *,
    title: str | None = None,
    intro: str = "",
    buttons: bool = True,
) -> Message:
    """The event card. Cancelled events say so and offer no RSVP button."""
    item = event.fields
    fields = [Field(t("events.field.when"), when_text(item, t), inline=False)]
    if item.place:
        fields.append(Field(t("events.field.where"), item.place))
    fields.append(Field(t("events.field.agency"), organiser(event, t)))
    if item.tags:
        fields.append(Field(t("events.field.tags"), ", ".join(item.tags)))
    if seats is not None:
        fields.append(Field(t("events.field.seats"), seats_text(event, seats, t)))
    text = [intro] if intro else []
    if item.description:
        text.append(_shorten(item.description, DESCRIPTION_SHOWN))
    if event.cancelled:
        text.insert(0, t("events.cancelled_note"))
    heading = title or (
        t("events.cancelled_title", title=item.title) if event.cancelled else item.title
    )
    return Message(
        title=heading,
        text="\n\n".join(text),
        fields=tuple(fields),
        links=(Link(t("events.field.online"), item.link),) if item.link else (),
        buttons=rsvp_buttons(event.id, t) if buttons and not event.cancelled else (),
        footer=t("events.footer", id=event.id),
    )


def series_note(occurrences: Sequence[Event], t: Translator) -> str:
    """ "10 dates, jusqu'au …" under the first occurrence of a series."""
    last = occurrences[-1]
    return t.plural("events.series_note", len(occurrences), last=t.date(last.starts_at, "long"))


def list_field(event: Event, seats: Seats, t: Translator) -> Field:
    item = event.fields
    parts = [when_text(item, t)]
    if item.place:
        parts.append(_shorten(item.place, 60))
    parts.append(organiser(event, t))
    parts.append(seats_text(event, seats, t))
    return Field(f"#{event.id} · {item.title}", " · ".join(parts), inline=False)


def answer_label(status: str, t: Translator) -> str:
    return t(f"events.status.{status if status != NOT_GOING else 'no'}")


def span_text(span: timedelta, t: Translator) -> str:
    """ "24 heures", "1 heure", "2 jours", "30 minutes": the unit an organiser would use."""
    minutes = round(span.total_seconds() / 60)
    if minutes >= 2 * 1440 and minutes % 1440 == 0:
        return format_unit(minutes // 1440, "duration-day", locale=t.locale)
    if minutes >= 60 and minutes % 60 == 0:
        return format_unit(minutes // 60, "duration-hour", locale=t.locale)
    return format_unit(minutes, "duration-minute", locale=t.locale)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

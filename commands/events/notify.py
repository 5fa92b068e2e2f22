"""Sending about events: announcements to agencies' channels, changes to those channels and
to everyone who answered, and the good news to people promoted from a waitlist.

A failed send is logged and counted, never fatal: an event exists even if one channel could
not be reached, and the organiser's reply says how many sends failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.errors import SendError
from bot.i18n import Translator, normalise_lang, translator
from bot.identity import ChannelRef
from bot.messages import Message
from bot.services import Services
from bot.storage.members import Member
from commands.events import render
from commands.events.store.events import Event, EventRepo

log = logging.getLogger(__name__)

MessageFor = Callable[[Translator], Message]


@dataclass(frozen=True, slots=True)
class Delivery:
    sent: int = 0
    failed: int = 0

    def __add__(self, other: Delivery) -> Delivery:
        return Delivery(self.sent + other.sent, self.failed + other.failed)


def channel_translator(services: Services) -> Translator:
    """Channels have no language of their own: the federation's default one."""
    bot = services.config.bot
    return translator(bot.default_locale, bot.timezone)


def member_translator(services: Services, locale: str) -> Translator:
    return translator(normalise_lang(locale), services.config.bot.timezone)


async def announce(services: Services, occurrences: Sequence[Event], now: datetime) -> Delivery:
    """Post a new event (or series) to its audience's channels and remember where it landed."""
    first = occurrences[0]
    if first.fields.audience == "all" or first.fields.agency_id is None:
        channels = await services.agencies.channels()
    else:
        channels = await services.agencies.channels(agency_ids=[first.fields.agency_id])
    t = channel_translator(services)
    intro = render.series_note(occurrences, t) if len(occurrences) > 1 else ""
    message = render.event_message(
        first, None, t, title=t("events.announce_title", title=first.title), intro=intro
    )
    posted = []
    failed = 0
    for channel in dict.fromkeys(c.ref for c in channels):
        try:
            posted.append(await services.outbound.send(channel, message))
        except SendError as err:
            failed += 1
            log.warning("event %s: announcement to %s failed: %s", first.id, channel, err.reason)
    await services.get(EventRepo).add_posts([e.id for e in occurrences], posted, now)
    return Delivery(len(posted), failed)


@dataclass(frozen=True, slots=True)
class Audience:
    """Who hears about a change: the channels an event was announced in, and the people who
    answered (platform, workspace, user id, locale), each once."""

    channels: tuple[ChannelRef, ...] = ()
    people: tuple[tuple[str, str, str, str], ...] = ()


async def audience_of(services: Services, events: Iterable[Event]) -> Audience:
    channels: dict[ChannelRef, None] = {}
    people: dict[tuple[str, str, str], str] = {}
    for event in events:
        channels.update(
            dict.fromkeys(p.channel for p in await services.get(EventRepo).posts(event.id))
        )
        for a in await services.get(EventRepo).rsvps.roster(event.id):
            people.setdefault((a.platform, a.workspace, a.user_id), a.locale)
    return Audience(tuple(channels), tuple((*key, locale) for key, locale in people.items()))


async def notify(
    services: Services, about: Event, audience: Audience, message_for: MessageFor
) -> Delivery:
    """Tell the channels and the people, each in their language."""
    delivery = await _to_channels(services, about, audience.channels, message_for)
    return delivery + await _to_people(services, about, audience.people, message_for)


async def tell_members(
    services: Services, event: Event, member_ids: Iterable[int], message_for: MessageFor
) -> Delivery:
    """Direct messages to some members (people promoted from a waitlist)."""
    found: list[Member] = []
    for member_id in member_ids:
        member = await services.members.get(member_id)
        if member is not None:
            found.append(member)
    people = [(m.platform, m.workspace, m.user_id, m.locale) for m in found]
    return await _to_people(services, event, people, message_for)


async def _to_channels(
    services: Services, event: Event, channels: Iterable[ChannelRef], message_for: MessageFor
) -> Delivery:
    message = message_for(channel_translator(services))
    sent = failed = 0
    for channel in channels:
        try:
            await services.outbound.send(channel, message)
            sent += 1
        except SendError as err:
            failed += 1
            log.warning("event %s: notice to %s failed: %s", event.id, channel, err.reason)
    return Delivery(sent, failed)


async def _to_people(
    services: Services,
    event: Event,
    people: Sequence[tuple[str, str, str, str]],
    message_for: MessageFor,
) -> Delivery:
    by_lang: dict[str, Message] = {}
    sent = failed = 0
    for platform, workspace, user_id, locale in people:
        lang = normalise_lang(locale)
        if lang not in by_lang:
            by_lang[lang] = message_for(member_translator(services, lang))
        try:
            await services.outbound.send_dm(platform, workspace, user_id, by_lang[lang])
            sent += 1
        except SendError as err:
            failed += 1
            log.warning("event %s: DM to %s:%s failed: %s", event.id, platform, user_id, err.reason)
    return Delivery(sent, failed)

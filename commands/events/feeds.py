"""`event ics` and the calendar feeds the bot's HTTP server serves at stable URLs:

    /calendar/all.ics             every upcoming event
    /calendar/agency/<id>.ics     one agency's events (by id: a renamed agency keeps its URL)
    /calendar/tag/<tag>.ics       events with a tag
    /calendar/event/<id>.ics      one event

Feeds hold events not finished more than FEED_PAST ago (a calendar keeps last week's
meetings) and cancelled ones marked CANCELLED, at most FEED_LIMIT, soonest first. They are
public, like the announcements: they carry no attendee.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.context import CommandContext
from bot.errors import UserError
from bot.messages import Attachment, Link, Message, Reply
from bot.services import Services
from bot.web import WebResponse, WebRoute
from commands.events.calendar import MIME, calendar_bytes
from commands.events.drafts import tag_key
from commands.events.notify import channel_translator
from commands.events.permissions import find_event
from commands.events.store.events import Event, EventQuery, EventRepo

FEED_PAST = timedelta(days=30)
FEED_LIMIT = 500
_NOT_FOUND = WebResponse(b"not found\n", status=404)


@dataclass(frozen=True, slots=True)
class Feed:
    name: str  # the calendar's name in the subscriber's app
    path: str  # its stable URL path
    agency_id: int | None = None
    tag: str | None = None

    @property
    def filename(self) -> str:
        return self.path.removeprefix("/calendar/").replace("/", "-")


async def feed_events(services: Services, feed: Feed, now: datetime) -> list[Event]:
    query = EventQuery(
        since=now - FEED_PAST,
        agency_ids=None if feed.agency_id is None else (feed.agency_id,),
        tag=feed.tag,
        include_cancelled=True,
    )
    return [listed.event for listed in await services.get(EventRepo).page(query, FEED_LIMIT)]


def _ics(services: Services, events: Sequence[Event], name: str) -> bytes:
    return calendar_bytes(events, name, services.config.bot.timezone, url_for=public_url(services))


def public_url(services: Services) -> str | None:
    http = services.config.http
    if not http.enabled:
        return None
    return http.public_url.rstrip("/") or f"http://{http.host}:{http.port}"


async def ics(ctx: CommandContext) -> Reply:
    """One event (`event:12`), one agency's or one tag's feed, or all upcoming events."""
    o, t, services = ctx.options, ctx.t, ctx.services
    if sum(1 for k in ("event", "agency", "tag") if o[k]) > 1:
        raise UserError("events.ics_one_filter")
    if o["event"]:
        event = await find_event(ctx, o["event"])
        data = _ics(services, [event], event.title)
        filename, path = f"event-{event.id}.ics", f"/calendar/event/{event.id}.ics"
    else:
        feed = await _feed_for(ctx)
        data = _ics(services, await feed_events(services, feed, ctx.now()), feed.name)
        filename, path = feed.filename, feed.path
    base = public_url(services)
    links = (Link(t("events.ics.subscribe"), base + path),) if base else ()
    text = t("events.ics.ready") + (" " + t("events.ics.subscribe_hint") if base else "")
    attachment = Attachment(filename, data, MIME)
    return Reply(Message(text=text, links=links, attachments=(attachment,)))


async def _feed_for(ctx: CommandContext) -> Feed:
    if name := ctx.options["agency"]:
        agency = await ctx.services.agencies.find(name)
        if agency is None:
            raise UserError("agency.not_found", name=name[:60])
        return Feed(agency.name, f"/calendar/agency/{agency.id}.ics", agency_id=agency.id)
    if ctx.options["tag"]:
        tag = tag_key(ctx.options["tag"])
        return Feed(f"#{tag}", f"/calendar/tag/{tag}.ics", tag=tag)
    return Feed(ctx.t("events.ics.all_name"), "/calendar/all.ics")


def routes(services: Services) -> list[WebRoute]:
    """The feeds, served only when the bot runs its HTTP server (`[http] enabled`)."""

    async def all_events(_: Mapping[str, str]) -> WebResponse:
        name = channel_translator(services)("events.ics.all_name")
        return await _serve_feed(services, Feed(name, "/calendar/all.ics"))

    async def by_agency(params: Mapping[str, str]) -> WebResponse:
        agency_id = int(params["agency_id"])
        found = [a for a in await services.agencies.list() if a.id == agency_id]
        if not found:
            return _NOT_FOUND
        feed = Feed(found[0].name, f"/calendar/agency/{agency_id}.ics", agency_id=agency_id)
        return await _serve_feed(services, feed)

    async def by_tag(params: Mapping[str, str]) -> WebResponse:
        try:
            tag = tag_key(params["tag"])
        except UserError:
            return _NOT_FOUND
        return await _serve_feed(services, Feed(f"#{tag}", f"/calendar/tag/{tag}.ics", tag=tag))

    async def one_event(params: Mapping[str, str]) -> WebResponse:
        event = await services.get(EventRepo).get(int(params["event_id"]))
        if event is None:
            return _NOT_FOUND
        return WebResponse(
            _ics(services, [event], event.title), MIME, filename=f"event-{event.id}.ics"
        )

    return [
        WebRoute("/calendar/all.ics", all_events),
        WebRoute(r"/calendar/agency/{agency_id:\d{1,9}}.ics", by_agency),
        WebRoute(r"/calendar/tag/{tag:[A-Za-z0-9_-]{1,30}}.ics", by_tag),
        WebRoute(r"/calendar/event/{event_id:\d{1,9}}.ics", one_event),
    ]


async def _serve_feed(services: Services, feed: Feed) -> WebResponse:
    events = await feed_events(services, feed, services.clock.now())
    return WebResponse(_ics(services, events, feed.name), MIME, filename=feed.filename)

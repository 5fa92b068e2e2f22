"""`event ics` and the calendar feeds the bot's HTTP server serves at stable URLs:

    /calendar/all.ics             every upcoming event
    /calendar/agency/<id>.ics     one agency's events (by id: a renamed agency keeps its URL)
    /calendar/tag/<tag>.ics       events with a tag
    /calendar/event/<id>.ics      one event

Feeds hold events not finished more than FEED_PAST before the start of the day (a calendar
keeps last week's meetings) and cancelled ones marked CANCELLED, at most FEED_LIMIT, soonest
first. They are public, like the announcements: they carry no attendee. The bytes come from
`FeedCache` (built off the event loop, once per version of the data); the URLs answer with an
ETag and Last-Modified, so a calendar app polling an unchanged feed gets `304 Not Modified`.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.context import CommandContext
from bot.errors import UserError
from bot.messages import Attachment, Link, Message, Reply
from bot.services import Services
from bot.web import WebResponse, WebRoute
from commands.events.calendar import MIME
from commands.events.drafts import tag_key
from commands.events.feedcache import (
    ALL,
    Feed,
    FeedCache,
    agency_feed,
    event_feed,
    public_url,
    tag_feed,
)
from commands.events.permissions import find_event

# Shared caches (a proxy in front of the bot) may keep a feed this long; calendar apps ask
# again with If-None-Match and get 304 while nothing changed.
MAX_AGE = 60
_NOT_FOUND = WebResponse(b"not found\n", status=404)


async def ics(ctx: CommandContext) -> Reply:
    """One event (`event:12`), one agency's or one tag's feed, or all upcoming events."""
    o, t, services = ctx.options, ctx.t, ctx.services
    if sum(1 for k in ("event", "agency", "tag") if o[k]) > 1:
        raise UserError("events.ics_one_filter")
    if o["event"]:
        feed = event_feed((await find_event(ctx, o["event"])).id)
    else:
        feed = await _feed_for(ctx)
    built = await services.get(FeedCache).get(feed, ctx.lang)
    if built.body is None:  # gone between the lookup and the build
        if o["event"]:
            raise UserError("events.not_found", id=o["event"])
        raise _no_agency(ctx)
    base = public_url(services)
    links = (Link(t("events.ics.subscribe"), base + feed.path),) if base else ()
    text = t("events.ics.ready") + (" " + t("events.ics.subscribe_hint") if base else "")
    attachment = Attachment(feed.filename, built.body, MIME)
    return Reply(Message(text=text, links=links, attachments=(attachment,)))


async def _feed_for(ctx: CommandContext) -> Feed:
    if ctx.options["agency"]:
        agency = await ctx.services.agencies.find(ctx.options["agency"])
        if agency is None:
            raise _no_agency(ctx)
        return agency_feed(agency.id)
    if ctx.options["tag"]:
        return tag_feed(tag_key(ctx.options["tag"]))
    return ALL


def _no_agency(ctx: CommandContext) -> UserError:
    return UserError("agency.not_found", name=ctx.options["agency"][:60])


def routes(services: Services) -> list[WebRoute]:
    """The feeds, served only when the bot runs its HTTP server (`[http] enabled`); public,
    so rate-limited per client. Calendars are named in the federation's language."""
    cache = services.get(FeedCache)
    lang = services.config.bot.default_locale

    async def serve(feed: Feed) -> WebResponse:
        built = await cache.get(feed, lang)
        if built.body is None:
            return _NOT_FOUND
        return WebResponse(
            built.body,
            MIME,
            filename=feed.filename,
            etag=built.etag,
            last_modified=built.last_modified,
            max_age=MAX_AGE,
        )

    async def all_events(_: Mapping[str, str]) -> WebResponse:
        return await serve(ALL)

    async def by_agency(params: Mapping[str, str]) -> WebResponse:
        return await serve(agency_feed(int(params["agency_id"])))

    async def by_tag(params: Mapping[str, str]) -> WebResponse:
        try:
            tag = tag_key(params["tag"])
        except UserError:
            return _NOT_FOUND
        return await serve(tag_feed(tag))

    async def one_event(params: Mapping[str, str]) -> WebResponse:
        return await serve(event_feed(int(params["event_id"])))

    return [
        WebRoute("/calendar/all.ics", all_events, public=True),
        WebRoute(r"/calendar/agency/{agency_id:\d{1,9}}.ics", by_agency, public=True),
        WebRoute(r"/calendar/tag/{tag:[A-Za-z0-9_-]{1,30}}.ics", by_tag, public=True),
        WebRoute(r"/calendar/event/{event_id:\d{1,9}}.ics", one_event, public=True),
    ]

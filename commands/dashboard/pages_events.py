"""Events (moderators and staff): a month calendar, each event's attendees for those who may
organise it (`event attendees` decides, with its own permission helper), and the calendar
feeds' URLs to copy into a calendar app."""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.errors import UserError
from commands.dashboard.period import month_of
from commands.dashboard.rendering import render, visitor_of
from commands.dashboard.site import SITE
from commands.events.permissions import find_event, may_organise
from commands.events.store.events import EventQuery, EventRepo, Listed
from commands.events.store.tables import GOING, MAYBE, NOT_GOING, WAITLISTED

ATTENDEES = ("event", "attendees")
MONTH_LIMIT = 1000  # events shown in one month
MONDAY = date(2024, 1, 1)  # any Monday: the weekdays' names, in the reader's language


def _month(text: str, today: date) -> date:
    try:
        return date.fromisoformat(f"{text}-01") if text else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)


Week = list[tuple[date, list[Listed]]]


def weeks(first: date, events: list[Listed], tz: ZoneInfo) -> list[Week]:
    """The month as weeks from Monday, each day with the events starting on it."""
    by_day: dict[date, list[Listed]] = defaultdict(list)
    for listed in events:
        by_day[listed.event.starts_at.astimezone(tz).date()].append(listed)
    grid = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return [[(day, by_day.get(day, [])) for day in week] for week in grid]


async def month(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    site = request.app[SITE]
    site.require(visitor, ATTENDEES)
    tz = visitor.t.tz
    today = site.now().astimezone(tz).date()
    first = _month(request.query.get("month", ""), today)
    period = month_of(first, tz)
    query = EventQuery(since=period.since, until=period.until, include_cancelled=True)
    found = await site.services.get(EventRepo).page(query, MONTH_LIMIT)
    found = [e for e in found if e.event.starts_at >= period.since]  # not last month's, still on
    agencies = await site.services.agencies.list()
    mine = [a for a in agencies if visitor.access.moderates_agency(a.id)]
    context = {
        "first": first,
        "today": today,
        "weeks": weeks(first, found, tz),
        "events": found,
        "previous": (first - timedelta(days=1)).strftime("%Y-%m"),
        "next": (first + timedelta(days=32)).strftime("%Y-%m"),
        "base": site.bot.web.base_url,
        "feeds": mine,
        "weekdays": [
            visitor.t.date(datetime.combine(MONDAY + timedelta(days=i), time(12), tz), "EEEE")
            for i in range(7)
        ],  # noqa: E501
    }
    return await render(request, "events.html", context)


async def event(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    site = request.app[SITE]
    ctx = site.context(visitor, ATTENDEES, {"event": int(request.match_info["id"])})
    try:
        found = await find_event(ctx, ctx.options["event"])
    except UserError:
        raise web.HTTPNotFound() from None
    repo = site.services.get(EventRepo)
    organiser = await may_organise(ctx, found)
    roster = await repo.rsvps.roster(found.id) if organiser else []
    seats = (await repo.rsvps.seats([found.id]))[found.id]
    by_status = {status: [p for p in roster if p.status == status]
                 for status in (GOING, WAITLISTED, MAYBE, NOT_GOING)}  # fmt: skip
    context = {
        "event": found,
        "seats": seats,
        "organiser": organiser,
        "by_status": by_status,
        "base": site.bot.web.base_url,
    }
    return await render(request, "event.html", context)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/events", month)
    router.add_get(r"/events/{id:\d{1,9}}", event)

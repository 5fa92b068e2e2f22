"""Demo events (`fedbot run --demo`): dates relative to the load time, so they are always
upcoming; each keyed by a stable slug, so loading twice changes nothing. They are not
announced (no adapter runs yet when demo data loads): `/event list` shows them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.dates import parse_duration
from bot.demo import demo_file
from bot.identity import Caller
from bot.services import Services
from commands.events.drafts import occurrences, wall_clock
from commands.events.store.events import EventFields, EventRepo


async def load_demo_events(services: Services, items: Iterable[Mapping[str, Any]]) -> None:
    now = services.clock.now()
    tz = ZoneInfo(services.config.bot.timezone)
    for item in items:
        key = f"demo:{item['slug']}"
        if await services.get(EventRepo).by_source(key) is not None:
            continue
        agency = await services.agencies.find(item["agency"]) if item.get("agency") else None
        first = _fields(item, agency.id if agency else None, now, tz)
        series = occurrences(first, item.get("repeat", "none"), item.get("count"), None, tz)
        created = await services.get(EventRepo).create(series, None, now, source_key=key)
        for user in item.get("going", []):
            member = await services.members.ensure(Caller("console", "local", user, user), now)
            await services.get(EventRepo).rsvps.answer(
                created[0].id, member.id, "going", now, services.config.events.offsets
            )


def _fields(
    item: Mapping[str, Any], agency_id: int | None, now: datetime, tz: ZoneInfo
) -> EventFields:
    day = now.astimezone(tz).date() + timedelta(days=item["in_days"])
    hour, minute = (int(x) for x in item["at"].split(":"))
    start = wall_clock(datetime.combine(day, time(hour, minute)), tz)
    return EventFields(
        title=item["title"],
        starts_at=start,
        ends_at=start + parse_duration(item["duration"]) if item.get("duration") else None,
        description=item.get("description", ""),
        place=item.get("place", ""),
        link=item.get("link", ""),
        agency_id=agency_id,
        audience="agency" if agency_id else "all",
        tags=tuple(item.get("tags", ())),
        capacity=item.get("capacity"),
    )


async def load_demo(services: Services) -> None:
    """This feature's part of the demo data set (`demo.toml` beside this module)."""
    await load_demo_events(services, demo_file("commands.events").get("events", []))

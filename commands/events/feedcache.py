"""The calendar feeds' bytes: cached per process, rebuilt when the data changes, built off the
event loop.

A feed is built for one version of the data: the change counters of events and agencies
(`bot.storage.changes`, bumped in the same transaction as every write, whichever process makes
it) and the day, since feeds keep the events finished at most FEED_PAST before the start of the
current day (UTC): a feed's content changes with the data, or at midnight. So a request costs at
most one small query (requests arriving while one runs share its answer); the bytes last built
for each feed are kept in memory, the least recently used dropped past FEED_CACHE_BYTES; a feed
missing for this version is built once however many requests ask for it at the same moment
(they all wait for that one build), and the calendar is written in a worker process
(`bot.workers`), so the event loop keeps answering Slack meanwhile.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bot.i18n import translator
from bot.services import Services
from bot.storage.agencies import CHANGES as AGENCY_CHANGES
from bot.storage.changes import ChangeCounters, Version
from bot.workers import offload
from commands.events.calendar import calendar_and_tag
from commands.events.store.events import CHANGES as EVENT_CHANGES
from commands.events.store.events import Event, EventQuery, EventRepo

FEED_PAST = timedelta(days=30)
FEED_LIMIT = 500
FEED_CACHE_BYTES = 32 * 2**20
FEED_CACHE_ENTRIES = 1024  # tag feeds are many and small: a bound on their count as well
TOPICS = (EVENT_CHANGES, AGENCY_CHANGES)


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed, by its stable URL path and what it filters on."""

    path: str
    agency_id: int | None = None
    tag: str | None = None
    event_id: int | None = None

    @property
    def filename(self) -> str:
        return self.path.removeprefix("/calendar/").replace("/", "-")


ALL = Feed("/calendar/all.ics")


def agency_feed(agency_id: int) -> Feed:
    return Feed(f"/calendar/agency/{agency_id}.ics", agency_id=agency_id)


def tag_feed(tag: str) -> Feed:
    return Feed(f"/calendar/tag/{tag}.ics", tag=tag)


def event_feed(event_id: int) -> Feed:
    return Feed(f"/calendar/event/{event_id}.ics", event_id=event_id)


@dataclass(frozen=True, slots=True)
class Built:
    """A feed's calendar for one version of the data; `body` None: no such agency or event."""

    body: bytes | None
    etag: str  # a digest of the body: equal bytes, equal tag, in every process
    last_modified: datetime

    @property
    def size(self) -> int:
        return len(self.body or b"") + 200


def feed_since(now: datetime) -> datetime:
    """Feeds hold the events not finished before this: FEED_PAST before today's start (UTC)."""
    return datetime.combine(now.astimezone(UTC).date(), time(), UTC) - FEED_PAST


async def feed_events(services: Services, feed: Feed, since: datetime) -> list[Event]:
    query = EventQuery(
        since=since,
        agency_ids=None if feed.agency_id is None else (feed.agency_id,),
        tag=feed.tag,
        include_cancelled=True,
    )
    return [listed.event for listed in await services.get(EventRepo).page(query, FEED_LIMIT)]


def public_url(services: Services) -> str | None:
    http = services.config.http
    if not http.enabled:
        return None
    return http.public_url.rstrip("/") or f"http://{http.host}:{http.port}"


Stamp = tuple[tuple[int, ...], datetime]  # the counters and the day a feed was built for


class FeedCache:
    def __init__(
        self,
        services: Services,
        max_bytes: int = FEED_CACHE_BYTES,
        max_entries: int = FEED_CACHE_ENTRIES,
    ) -> None:
        self.services = services
        self.counters = ChangeCounters(services.db)
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.builds = 0  # how many calendars this process wrote (tests, bench)
        self._entries: OrderedDict[tuple[Feed, str], tuple[Stamp, Built]] = OrderedDict()
        self._bytes = 0
        self._building: dict[tuple[Feed, str, Stamp], asyncio.Task[Built]] = {}
        self._asking: asyncio.Task[Version] | None = None

    async def get(self, feed: Feed, lang: str) -> Built:
        """The feed as the data stands now: one version query, then the cached bytes or one
        shared build."""
        version = await self._version()
        since = feed_since(self.services.clock.now())
        stamp: Stamp = (version.numbers, since)
        slot = (feed, lang)
        held = self._entries.get(slot)
        if held is not None and held[0] == stamp:
            self._entries.move_to_end(slot)
            return held[1]
        key = (feed, lang, stamp)
        task = self._building.get(key)
        if task is None:
            task = asyncio.create_task(self._build(feed, lang, since, version))
            self._building[key] = task
            task.add_done_callback(lambda done: self._built(key, done))
        # shielded: a client that hangs up does not cancel the build the others wait for
        return await asyncio.shield(task)

    async def _version(self) -> Version:
        """Requests arriving while a version query runs share its answer: a storm of GETs
        costs the database one query at a time, not one per request."""
        if self._asking is None:
            self._asking = asyncio.create_task(self.counters.version(TOPICS))
            self._asking.add_done_callback(self._asked)
        return await asyncio.shield(self._asking)

    def _asked(self, task: asyncio.Task[Version]) -> None:
        if self._asking is task:
            self._asking = None

    def _built(self, key: tuple[Feed, str, Stamp], task: asyncio.Task[Built]) -> None:
        del self._building[key]
        if task.cancelled() or task.exception() is not None:
            return  # not cached: the next request tries again
        feed, lang, stamp = key
        self._store((feed, lang), stamp, task.result())

    def _store(self, slot: tuple[Feed, str], stamp: Stamp, built: Built) -> None:
        old = self._entries.pop(slot, None)
        if old is not None:
            self._bytes -= old[1].size
        if built.size > self.max_bytes:
            return
        self._entries[slot] = (stamp, built)
        self._bytes += built.size
        while self._bytes > self.max_bytes or len(self._entries) > self.max_entries:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped.size

    async def _build(self, feed: Feed, lang: str, since: datetime, version: Version) -> Built:
        now = self.services.clock.now()
        day = since + FEED_PAST
        changed = max(version.changed_at or day, day)
        last_modified = min(changed, now).replace(microsecond=0)
        found = await self._contents(feed, lang, since)
        if found is None:
            return Built(None, "", last_modified)
        events, name = found
        config = self.services.config
        body, etag = await offload(
            calendar_and_tag, events, name, config.bot.timezone, public_url(self.services)
        )
        self.builds += 1
        return Built(body, etag, last_modified)

    async def _contents(
        self, feed: Feed, lang: str, since: datetime
    ) -> tuple[Sequence[Event], str] | None:
        """The events and the calendar's name; None when the agency or event does not exist."""
        if feed.event_id is not None:
            event = await self.services.get(EventRepo).get(feed.event_id)
            return None if event is None else ([event], event.title)
        if feed.agency_id is not None:
            agency = await self.services.agencies.get(feed.agency_id)
            if agency is None:
                return None
            name = agency.name
        elif feed.tag is not None:
            name = f"#{feed.tag}"
        else:
            name = translator(lang)("events.ics.all_name")
        return await feed_events(self.services, feed, since), name

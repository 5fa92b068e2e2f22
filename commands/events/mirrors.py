"""Events in platforms' own calendars (Discord's Events tab), kept in step both ways; this
module sends, commands/events/mirror_sync.py listens and sweeps.

Out: an event announced in a workspace whose calendar is on (`[discord] scheduled_events`) is
mirrored there once it starts within the calendar's horizon; editing it updates the mirror,
cancelling it cancels the mirror, and every change of its seats refreshes the mirror's seats
line (coalesced per event). A sweep, every few minutes and whenever a calendar comes up,
creates the mirrors of events that came within the horizon, retries failed ones, resolves
claims a crash left in doubt (by the key in the description, so nothing is created twice) and
catches up on the interest shown while the bot was away.

In: interest shown on the platform counts as "maybe" unless the member answered otherwise, and
withdrawing it withdraws only that "maybe" (commands/events/store/rsvps.py): capacity and the
waitlist are moved by answers only. A mirror deleted by hand is recreated, or unlinked and left
alone, as the calendar says (`[discord] scheduled_events_deleted`); either way the event has
one mirror row per workspace, so it is never mirrored twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.errors import SendError
from bot.i18n import Translator
from bot.native_events import MirrorGone, NativeEvent, NativeEvents
from bot.services import Services
from commands.events import render
from commands.events.notify import channel_translator
from commands.events.store.events import Event, EventRepo
from commands.events.store.mirrors import Mirror
from commands.events.store.rsvps import Seats
from commands.events.store.tables import (
    CREATING,
    FAILED,
    LINKED,
    MIRROR_CANCELLED,
    UNLINKED,
)

log = logging.getLogger(__name__)

SWEEP_SECONDS = 300
RETRY_AFTER = timedelta(hours=1)  # a failed mirror (missing permission) is tried again
IN_DOUBT_AFTER = timedelta(minutes=5)  # a `creating` row older than this lost its process


def key_of(event: Event) -> str:
    """What identifies the event in its mirrors, in no language: `fedbot #12 · 3f9a2c1b`."""
    return f"fedbot #{event.id} · {event.uid[:8]}"


def native_event(event: Event, seats: Seats, t: Translator) -> NativeEvent:
    """The mirror's content: the event card's own parts (description, place, organiser,
    tags, seats, link, footer), as text. The platform shows the title and times itself."""
    card = render.event_message(event, seats, t, buttons=False)
    lines = [card.text] if card.text else []
    lines += [f"{f.name} : {f.value}" if t.lang == "fr" else f"{f.name}: {f.value}"
              for f in card.fields[1:]]  # fmt: skip
    lines += [f"{link.label} : {link.url}" if t.lang == "fr" else f"{link.label}: {link.url}"
              for link in card.links]  # fmt: skip
    lines.append(t("events.mirror_answer", id=event.id))
    return NativeEvent(
        key=key_of(event),
        title=event.title,
        description="\n".join(lines),
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        place=event.fields.place,
        link=event.fields.link,
    )


class Keeper:
    """This process's mirror work in the background: refreshes coalesced per event, the
    sweep a calendar's arrival starts, and the claims being carried out (not in doubt)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.tasks: set[asyncio.Task[None]] = set()
        self.refreshing: set[int] = set()
        self.dirty: set[int] = set()
        self.creating: set[int] = set()  # mirror rows this process is creating

    def spawn(self, work: object) -> None:
        task = asyncio.ensure_future(work)  # type: ignore[arg-type]
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("mirror work failed", exc_info=error)

    def refresh(self, event_id: int) -> None:
        if event_id in self.refreshing:
            self.dirty.add(event_id)
            return
        self.refreshing.add(event_id)
        self.spawn(self._refresh(event_id))

    async def _refresh(self, event_id: int) -> None:
        try:
            while True:
                self.dirty.discard(event_id)
                event = await self.services.get(EventRepo).get(event_id)
                if event is not None and not event.cancelled:
                    await update_mirrors(self.services, event)
                if event_id not in self.dirty:
                    return
        finally:
            self.refreshing.discard(event_id)

    async def stop(self) -> None:
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=5)


_KEEPERS: dict[str, Keeper] = {}


def keeper_for(services: Services) -> Keeper:
    keeper = _KEEPERS.get(services.instance_id)
    if keeper is None:
        keeper = _KEEPERS[services.instance_id] = Keeper(services)
    return keeper


def touch(services: Services, event_id: int) -> None:
    """The event's seats changed: its mirrors show the new count soon (no-op without any)."""
    if services.calendars.platforms:
        keeper_for(services).refresh(event_id)


# -- out: create, update, cancel


async def mirror_events(services: Services, events: Sequence[Event]) -> int:
    """Mirror events just announced (or edited) where they are due; how many mirrors were
    created. Later occurrences of a series are mirrored by the sweep as they come closer."""
    now, wanted = services.clock.now(), {e.id: e for e in events}
    created = 0
    for calendar in services.calendars.running():
        found = await services.get(EventRepo).mirrors.due(
            [calendar.platform], now, now + calendar.horizon
        )
        for due in found:
            if due.event_id in wanted and calendar.enabled(due.workspace):
                created += await create_mirror(
                    services, calendar, wanted[due.event_id], due.workspace
                )
    return created


async def create_mirror(
    services: Services, calendar: NativeEvents, event: Event, workspace: str
) -> int:
    now = services.clock.now()
    row = await services.get(EventRepo).mirrors.claim(event.id, calendar.platform, workspace, now)
    if row is None:
        return 0
    return await carry_out(services, calendar, row, event, workspace)


async def carry_out(
    services: Services, calendar: NativeEvents, row: int, event: Event, workspace: str
) -> int:
    """Create the claimed mirror `row`; 1 when it is now linked."""
    repo, keeper = services.get(EventRepo), keeper_for(services)
    keeper.creating.add(row)
    try:
        native = await _native(services, event)
        try:
            mirror_id = await calendar.create(workspace, native)
        except SendError as err:
            await _failed(services, row, event, workspace, err)
            return 0
        await repo.mirrors.set(row, LINKED, services.clock.now(), mirror_id=mirror_id)
    finally:
        keeper.creating.discard(row)
    fresh = await repo.get(event.id)
    if fresh is None or fresh.cancelled:  # cancelled while its mirror was being created
        await cancel_mirrors(services, fresh or event)
    return 1


async def _failed(
    services: Services, row: int, event: Event, workspace: str, err: SendError
) -> None:
    repo = services.get(EventRepo).mirrors
    if err.permanent:
        log.warning("event %s: no mirror in %s: %s", event.id, workspace, err.reason)
        await repo.set(row, FAILED, services.clock.now(), detail=err.reason)
    else:  # the platform is away or busy: the next sweep tries again
        log.info("event %s: mirror in %s postponed: %s", event.id, workspace, err.reason)
        await repo.release(row)


async def _native(services: Services, event: Event) -> NativeEvent:
    seats = (await services.get(EventRepo).rsvps.seats([event.id]))[event.id]
    return native_event(event, seats, channel_translator(services))


async def update_mirrors(services: Services, event: Event) -> None:
    """Show the event as it is now in each of its linked mirrors."""
    native: NativeEvent | None = None
    for mirror in await services.get(EventRepo).mirrors.of_event(event.id):
        calendar = services.calendars.get(mirror.platform, mirror.workspace)
        if calendar is None or mirror.state != LINKED or mirror.mirror_id is None:
            continue
        native = native or await _native(services, event)
        try:
            await calendar.update(mirror.workspace, mirror.mirror_id, native)
        except MirrorGone:
            await mirror_gone(services, calendar, mirror, event)
        except SendError as err:
            log.warning("event %s: mirror %s not updated: %s", event.id, mirror.id, err.reason)


async def cancel_mirrors(services: Services, event: Event) -> None:
    """The event is cancelled: so are its mirrors (and none will be created). A mirror whose
    platform cannot be reached now stays linked: the sweep cancels it later."""
    repo = services.get(EventRepo).mirrors
    for mirror in await repo.of_event(event.id):
        if mirror.state in (MIRROR_CANCELLED, UNLINKED):
            continue
        if mirror.state == LINKED and mirror.mirror_id is not None:
            calendar = services.calendars.get(mirror.platform, mirror.workspace)
            if calendar is None:
                continue
            try:
                await calendar.cancel(mirror.workspace, mirror.mirror_id)
            except MirrorGone:
                pass  # already gone: what cancelling wanted
            except SendError as err:
                log.warning(
                    "event %s: mirror %s not cancelled: %s", event.id, mirror.id, err.reason
                )
                continue
        if mirror.id not in keeper_for(services).creating:
            await repo.set(mirror.id, MIRROR_CANCELLED, services.clock.now())


async def mirror_gone(
    services: Services, calendar: NativeEvents, mirror: Mirror, event: Event
) -> None:
    """A linked mirror no longer exists on the platform: recreated in the same row (never a
    second one), or unlinked and left alone, as the calendar says."""
    repo, now = services.get(EventRepo).mirrors, services.clock.now()
    upcoming = not event.cancelled and event.starts_at > now
    if calendar.recreate_deleted and upcoming:
        log.info("event %s: mirror deleted by hand in %s, recreated", event.id, mirror.workspace)
        await repo.set(mirror.id, CREATING, now)
        await carry_out(services, calendar, mirror.id, event, mirror.workspace)
        return
    log.info("event %s: mirror deleted by hand in %s, unlinked", event.id, mirror.workspace)
    await repo.set(mirror.id, UNLINKED, now, detail="deleted on the platform")


async def forget_keeper(services: Services) -> None:
    """Let this process's mirror work finish (the bot is stopping)."""
    keeper = _KEEPERS.pop(services.instance_id, None)
    if keeper is not None:
        await keeper.stop()

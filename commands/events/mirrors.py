"""Events in platforms' own calendars (Discord's Events tab), kept in step both ways.

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
from datetime import datetime, timedelta

from bot.errors import SendError
from bot.i18n import Translator
from bot.identity import Caller
from bot.native_events import Interest, MirrorGone, NativeEvent, NativeEvents
from bot.services import Services
from bot.storage.members import Member
from commands.events import render
from commands.events.notify import channel_translator
from commands.events.store.events import Event, EventRepo
from commands.events.store.mirrors import Mirror
from commands.events.store.rsvps import EventGone, Seats
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
                created += await _create(services, calendar, wanted[due.event_id], due.workspace)
    return created


async def _create(services: Services, calendar: NativeEvents, event: Event, workspace: str) -> int:
    now = services.clock.now()
    row = await services.get(EventRepo).mirrors.claim(event.id, calendar.platform, workspace, now)
    if row is None:
        return 0
    return await _carry_out(services, calendar, row, event, workspace)


async def _carry_out(
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
            await _gone(services, calendar, mirror, event)
        except SendError as err:
            log.warning("event %s: mirror %s not updated: %s", event.id, mirror.id, err.reason)


async def cancel_mirrors(services: Services, event: Event) -> None:
    """The event is cancelled: so are its mirrors (and none will be created)."""
    repo = services.get(EventRepo).mirrors
    for mirror in await repo.of_event(event.id):
        if mirror.state in (MIRROR_CANCELLED, UNLINKED):
            continue
        calendar = services.calendars.get(mirror.platform, mirror.workspace)
        if mirror.state == LINKED and mirror.mirror_id is not None and calendar is not None:
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


async def _gone(services: Services, calendar: NativeEvents, mirror: Mirror, event: Event) -> None:
    """A linked mirror no longer exists on the platform: recreated in the same row (never a
    second one), or unlinked and left alone, as the calendar says."""
    repo, now = services.get(EventRepo).mirrors, services.clock.now()
    upcoming = not event.cancelled and event.starts_at > now
    if calendar.recreate_deleted and upcoming:
        log.info("event %s: mirror deleted by hand in %s, recreated", event.id, mirror.workspace)
        await repo.set(mirror.id, CREATING, now)
        await _carry_out(services, calendar, mirror.id, event, mirror.workspace)
        return
    log.info("event %s: mirror deleted by hand in %s, unlinked", event.id, mirror.workspace)
    await repo.set(mirror.id, UNLINKED, now, detail="deleted on the platform")


# -- in: interest and deletions reported by the adapters


async def on_interest(services: Services, interest: Interest) -> None:
    caller = interest.caller
    repo = services.get(EventRepo)
    mirror = await repo.mirrors.by_mirror(caller.platform, caller.workspace, interest.mirror_id)
    if mirror is None or mirror.state != LINKED:
        return  # not one of ours (or left alone): the platform's business
    event = await repo.get(mirror.event_id)
    now = services.clock.now()
    if event is None or event.cancelled or event.starts_at <= now:
        return
    member = await _member(services, caller, now, create=interest.interested)
    if member is None:
        return
    try:
        if interest.interested:
            changed = await repo.rsvps.note_interest(event.id, member.id, now)
        else:
            changed = await repo.rsvps.drop_interest(event.id, member.id)
    except EventGone:
        return
    if changed:
        touch(services, event.id)
        services.home.changed([member.id])


async def _member(
    services: Services, caller: Caller, now: datetime, *, create: bool
) -> Member | None:
    """The member behind an interest. An existing member keeps their name and language (the
    platform's event carries neither)."""
    found = await services.members.find(caller.platform, caller.workspace, caller.user_id)
    if found is not None or not create:
        return found
    return await services.members.ensure(caller, now)


async def on_deleted(services: Services, platform: str, workspace: str, mirror_id: str) -> None:
    repo = services.get(EventRepo)
    mirror = await repo.mirrors.by_mirror(platform, workspace, mirror_id)
    if mirror is None or mirror.state != LINKED:
        return  # one we cancelled or deleted ourselves, or not ours
    event = await repo.get(mirror.event_id)
    calendar = services.calendars.get(platform, workspace)
    if event is None or calendar is None:
        await repo.mirrors.set(mirror.id, UNLINKED, services.clock.now(), detail="deleted")
        return
    await _gone(services, calendar, mirror, event)


# -- the sweep


async def sweep(services: Services, *, catch_up: bool = False) -> None:
    """Create due mirrors, retry failed ones, resolve those in doubt; with `catch_up`, also
    read who is interested in each upcoming mirror (what was shown while the bot was away)."""
    repo, now = services.get(EventRepo), services.clock.now()
    for calendar in services.calendars.running():
        platform = [calendar.platform]
        for mirror in await repo.mirrors.in_state(CREATING, platform):
            if mirror.id not in keeper_for(services).creating and (
                now - mirror.updated_at >= IN_DOUBT_AFTER or catch_up
            ):
                await _resolve(services, calendar, mirror)
        for mirror in await repo.mirrors.in_state(FAILED, platform):
            if now - mirror.updated_at >= RETRY_AFTER and await repo.mirrors.reclaim(
                mirror.id, now
            ):
                event = await repo.get(mirror.event_id)
                if event is not None and calendar.enabled(mirror.workspace):
                    await _carry_out(services, calendar, mirror.id, event, mirror.workspace)
        for due in await repo.mirrors.due(platform, now, now + calendar.horizon):
            event = await repo.get(due.event_id)
            if event is not None and calendar.enabled(due.workspace):
                await _create(services, calendar, event, due.workspace)
        if catch_up:
            for mirror in await repo.mirrors.linked_upcoming(platform, now):
                await _catch_up(services, calendar, mirror)


async def _resolve(services: Services, calendar: NativeEvents, mirror: Mirror) -> None:
    """A claim left `creating` by a process that stopped: adopt what the platform holds
    (deleting extra copies), or create it now."""
    repo = services.get(EventRepo)
    event = await repo.get(mirror.event_id)
    if event is None:
        return
    try:
        found = await calendar.find(mirror.workspace, key_of(event))
    except SendError as err:
        log.warning("event %s: mirror in doubt, not resolved: %s", event.id, err.reason)
        return
    if not found:
        await _carry_out(services, calendar, mirror.id, event, mirror.workspace)
        return
    for extra in found[1:]:
        try:
            await calendar.delete(mirror.workspace, extra)
        except (MirrorGone, SendError):
            log.warning("event %s: extra mirror %s not deleted", event.id, extra)
    await repo.mirrors.set(mirror.id, LINKED, services.clock.now(), mirror_id=found[0])
    await update_mirrors(services, event)


async def _catch_up(services: Services, calendar: NativeEvents, mirror: Mirror) -> None:
    repo, now = services.get(EventRepo), services.clock.now()
    assert mirror.mirror_id is not None
    try:
        people = await calendar.interested(mirror.workspace, mirror.mirror_id)
    except MirrorGone:
        event = await repo.get(mirror.event_id)
        if event is not None:
            await _gone(services, calendar, mirror, event)
        return
    except SendError as err:
        log.info("mirror %s: interest not read: %s", mirror.id, err.reason)
        return
    known = await repo.rsvps.interested(mirror.event_id)
    seen: set[int] = set()
    for caller in people:
        if not await services.federation.belongs(caller):
            continue
        member = await _member(services, caller, now, create=True)
        if member is None:
            continue
        seen.add(member.id)
        if member.id not in known:
            await repo.rsvps.note_interest(mirror.event_id, member.id, now)
    for member_id in known - seen:
        await repo.rsvps.drop_interest(mirror.event_id, member_id)
    if people or known:
        touch(services, mirror.event_id)


def start_mirrors(services: Services) -> None:
    """Listen to the adapters, and sweep every few minutes and when a calendar comes up."""

    async def interest(found: Interest) -> None:
        await on_interest(services, found)

    async def deleted(platform: str, workspace: str, mirror_id: str) -> None:
        await on_deleted(services, platform, workspace, mirror_id)

    def registered(platform: str) -> None:
        keeper_for(services).spawn(sweep(services, catch_up=True))

    async def periodic() -> None:
        await sweep(services)

    services.calendars.listen(interest=interest, deleted=deleted, registered=registered)
    services.scheduler.every("events:mirrors", SWEEP_SECONDS, periodic)


async def stop_mirrors(services: Services) -> None:
    keeper = _KEEPERS.pop(services.instance_id, None)
    if keeper is not None:
        await keeper.stop()

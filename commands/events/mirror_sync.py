"""Keeping events and their mirrors in step over time (commands/events/mirrors.py does the
sends): what the adapters report — interest shown or withdrawn, a mirror deleted by hand — and
the sweep that mirrors events as they come within the horizon, retries, resolves claims left
in doubt and catches up on what happened while the bot was away.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.errors import SendError
from bot.identity import Caller
from bot.native_events import Interest, MirrorGone, NativeEvents
from bot.services import Services
from bot.storage.members import Member
from commands.events.mirrors import (
    IN_DOUBT_AFTER,
    RETRY_AFTER,
    SWEEP_SECONDS,
    cancel_mirrors,
    carry_out,
    create_mirror,
    forget_keeper,
    keeper_for,
    key_of,
    mirror_gone,
    touch,
    update_mirrors,
)
from commands.events.store.events import EventRepo
from commands.events.store.mirrors import Mirror
from commands.events.store.rsvps import EventGone
from commands.events.store.tables import CREATING, FAILED, LINKED, UNLINKED

log = logging.getLogger(__name__)


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
    await mirror_gone(services, calendar, mirror, event)


# -- the sweep


async def sweep(services: Services, *, catch_up: bool = False) -> None:
    """Create due mirrors, retry failed ones, resolve those in doubt, cancel those whose
    cancellation did not go through; with `catch_up`, also read who is interested in each
    upcoming mirror (what was shown while the bot was away)."""
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
                    await carry_out(services, calendar, mirror.id, event, mirror.workspace)
        for mirror in await repo.mirrors.linked_cancelled(platform):
            event = await repo.get(mirror.event_id)
            if event is not None:
                await cancel_mirrors(services, event)
        for due in await repo.mirrors.due(platform, now, now + calendar.horizon):
            event = await repo.get(due.event_id)
            if event is not None and calendar.enabled(due.workspace):
                await create_mirror(services, calendar, event, due.workspace)
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
        await carry_out(services, calendar, mirror.id, event, mirror.workspace)
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
            await mirror_gone(services, calendar, mirror, event)
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
    await forget_keeper(services)

"""Platforms' own calendars (Discord's scheduled events, in a server's Events tab): the port an
adapter implements, and the hub between adapters and the feature that keeps them in step.

Outbound, a feature asks the calendar of a workspace (`NativeCalendars.get`) to create, update,
cancel or delete a mirror of one of its events, and keeps the platform's id. Inbound, an
adapter reports what members did there: interest shown or withdrawn (`interest`), a mirror
deleted by hand (`deleted`). Trust goes through the core: a caller or a workspace outside the
federation is ignored here, before any feature sees it. The core knows no feature: the one
that mirrors events registers its handlers with `listen`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.federation import Federation
from bot.identity import Caller

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NativeEvent:
    """What a platform's own event shows. `key` identifies the event: the adapter writes it
    where `find` looks for it (Discord: the description's last line), so an event the bot
    created is recognised again after a crash between the platform's answer and our write;
    `place` and `link` let the platform choose its kind of location."""

    key: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime | None
    place: str = ""
    link: str = ""


class MirrorGone(Exception):
    """The platform has no such event any more (someone deleted it by hand)."""


class NativeEvents(Protocol):
    """A platform's calendar, as its adapter implements it. Failures are `SendError`s
    (permanent when retrying cannot help: a missing permission), `MirrorGone` for an event
    that no longer exists."""

    platform: str
    horizon: timedelta  # events starting later than this are mirrored when they come closer
    recreate_deleted: bool  # a mirror deleted by hand is recreated (else left unlinked)

    def enabled(self, workspace: str) -> bool: ...

    async def create(self, workspace: str, event: NativeEvent) -> str: ...

    async def update(self, workspace: str, mirror_id: str, event: NativeEvent) -> None: ...

    async def cancel(self, workspace: str, mirror_id: str) -> None: ...

    async def delete(self, workspace: str, mirror_id: str) -> None: ...

    async def find(self, workspace: str, key: str) -> list[str]:
        """The ids of the live events this bot created whose description holds `key`."""
        ...

    async def interested(self, workspace: str, mirror_id: str) -> list[Caller]:
        """Who is interested in a mirror now (to catch up on what was missed offline)."""
        ...


@dataclass(frozen=True, slots=True)
class Interest:
    """A member showed (or withdrew) their interest in a mirror, on the platform."""

    caller: Caller
    mirror_id: str
    interested: bool


InterestHandler = Callable[[Interest], Awaitable[None]]
DeletedHandler = Callable[[str, str, str], Awaitable[None]]  # platform, workspace, mirror id
RegisteredHandler = Callable[[str], None]  # platform


class NativeCalendars:
    """The running adapters' calendars, by platform, and the feature's inbound handlers."""

    def __init__(self, federation: Federation) -> None:
        self.federation = federation
        self._calendars: dict[str, NativeEvents] = {}
        self._on_interest: InterestHandler | None = None
        self._on_deleted: DeletedHandler | None = None
        self._on_registered: RegisteredHandler | None = None

    def listen(
        self,
        *,
        interest: InterestHandler,
        deleted: DeletedHandler,
        registered: RegisteredHandler | None = None,
    ) -> None:
        self._on_interest, self._on_deleted = interest, deleted
        self._on_registered = registered

    def register(self, calendar: NativeEvents) -> None:
        self._calendars[calendar.platform] = calendar
        if self._on_registered is not None:
            self._on_registered(calendar.platform)

    def unregister(self, platform: str) -> None:
        self._calendars.pop(platform, None)

    @property
    def platforms(self) -> list[str]:
        return sorted(self._calendars)

    def running(self) -> list[NativeEvents]:
        return [self._calendars[platform] for platform in self.platforms]

    def get(self, platform: str, workspace: str) -> NativeEvents | None:
        """The calendar of a workspace whose events are mirrored (running and opted in)."""
        calendar = self._calendars.get(platform)
        return calendar if calendar is not None and calendar.enabled(workspace) else None

    async def interest(self, caller: Caller, mirror_id: str, interested: bool) -> None:
        if caller.is_bot or self._on_interest is None:
            return
        if not await self.federation.belongs(caller):
            log.info("interest of %s ignored: not in the federation", caller.key)
            return
        await self._on_interest(Interest(caller, mirror_id, interested))

    async def deleted(self, platform: str, workspace: str, mirror_id: str) -> None:
        if self._on_deleted is None:
            return
        if not await self.federation.admits(platform, workspace):
            log.info("deletion in %s:%s ignored: not in the federation", platform, workspace)
            return
        await self._on_deleted(platform, workspace, mirror_id)

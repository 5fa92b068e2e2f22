"""A member's home: what concerns them, in one place (Slack shows it as the app's Home tab).

Features declare the sections they own (`Feature.home`); the dispatcher assembles them for one
caller (`Dispatcher.home`), behind the same boundary as a command (a caller outside the
federation gets nothing), in the caller's language and with the caller's rights. A section is
made of the neutral messages the rest of the bot uses (`bot.messages`): the event card with its
RSVP buttons, the "did you meet?" question, the announcement with "Bien reçu" are the same
declarations a member meets in a channel, and their buttons go through the same dispatcher.

Features also say whose home changed (`services.home.changed`): a platform that keeps homes on
screen (adapters/slack/home.py) refreshes the ones it shows. Nothing else listens, so a change
costs nothing on platforms without homes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.i18n import Translator
from bot.identity import Caller
from bot.messages import Message
from bot.roles import Access
from bot.storage.members import Member

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HomeContext:
    """What a section gets: who (their member row, None when the bot holds nothing about
    them), their rights, the services, their language, and the time."""

    caller: Caller
    member: Member | None
    access: Access
    services: Services
    t: Translator
    now: datetime

    @property
    def lang(self) -> str:
        return self.t.lang


HomeBuilder = Callable[[HomeContext], Awaitable[Sequence[Message]]]


@dataclass(frozen=True, slots=True)
class HomeSection:
    """A part of the home. `rank` orders the sections on the page (lower first), whatever the
    order of the features; `build` returns its messages, none when it has nothing to say."""

    rank: int
    build: HomeBuilder


# Told which members' homes changed; None: possibly anyone's (a new announcement).
HomeListener = Callable[[frozenset[int] | None], None]


class HomeChanges:
    """Features say whose home changed; platforms that show homes listen. Telling never waits
    and never fails: a listener schedules its own work."""

    def __init__(self) -> None:
        self._listeners: list[HomeListener] = []

    def subscribe(self, listener: HomeListener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: HomeListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def changed(self, member_ids: Iterable[int] | None = None) -> None:
        ids = None if member_ids is None else frozenset(member_ids)
        if ids is not None and not ids:
            return
        for listener in list(self._listeners):
            try:
                listener(ids)
            except Exception:
                log.exception("home listener failed")

"""What a handler receives: who calls, from where, the checked options and the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.i18n import Translator
from bot.identity import Caller, Place
from bot.roles import Access
from bot.spec import CommandSpec

if TYPE_CHECKING:
    from bot.services import Services


@dataclass(slots=True)
class CommandContext:
    caller: Caller
    place: Place
    access: Access
    spec: CommandSpec
    options: dict[str, Any]
    services: Services
    t: Translator

    @property
    def lang(self) -> str:
        return self.t.lang

    def now(self) -> datetime:
        return self.services.clock.now()

"""Suggestions while the user types an option value (Discord autocomplete, later others).

An `OptionSpec` names its source (`autocomplete="agency"`); a source is a plain coroutine
`(services, prefix, caller) -> [(label, value), ...]`. Adapters ask the `Completer` and never
know what the sources do, so a feature adds a source here without touching any adapter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.identity import Caller
from bot.options import fold

if TYPE_CHECKING:
    from bot.services import Services

Suggestion = tuple[str, str]  # (label shown, value sent back)
CompletionSource = Callable[["Services", str, Caller], Awaitable[list[Suggestion]]]

MAX_SUGGESTIONS = 25  # Discord shows at most 25 choices


class Completer:
    def __init__(self) -> None:
        self._sources: dict[str, CompletionSource] = {}

    def register(self, name: str, source: CompletionSource) -> None:
        if name in self._sources:
            raise ValueError(f"duplicate completion source {name!r}")
        self._sources[name] = source

    def __contains__(self, name: str) -> bool:
        return name in self._sources

    async def complete(
        self, name: str, services: Services, prefix: str, caller: Caller
    ) -> list[Suggestion]:
        """Suggestions for `prefix`; an unknown source suggests nothing (the user types)."""
        source = self._sources.get(name)
        if source is None:
            return []
        return (await source(services, prefix, caller))[:MAX_SUGGESTIONS]


def rank(prefix: str, labels: list[str]) -> list[str]:
    """Labels containing what was typed (case and accents ignored), those starting with it
    first: "nan" finds "Nantes Métropole" before "Agence de Nancy"."""
    wanted = " ".join(fold(prefix).split())
    hits = [(fold(label), label) for label in labels]
    found = [(not key.startswith(wanted), label) for key, label in hits if wanted in key]
    return [label for _, label in sorted(found, key=lambda pair: pair[0])]


async def agency_names(services: Services, prefix: str, caller: Caller) -> list[Suggestion]:
    names = [a.name for a in await services.agencies.list()]
    return [(name, name) for name in rank(prefix, names)]


async def tag_names(services: Services, prefix: str, caller: Caller) -> list[Suggestion]:
    """Interest tags in use (profiles, `match topic`), most used first."""
    from commands.profile.vocabulary import tag_choices  # the feature owns its vocabulary

    return await tag_choices(services, prefix, caller)


async def faq_entries(services: Services, prefix: str, caller: Caller) -> list[Suggestion]:
    """FAQ entries by number or by words of their question."""
    from commands.faq.answers import entry_choices  # the feature owns its entries

    return await entry_choices(services, prefix, caller)


def default_completer() -> Completer:
    """Every source the features offer; add a line here when a feature adds one."""
    completer = Completer()
    completer.register("agency", agency_names)
    completer.register("tag", tag_names)
    completer.register("faq", faq_entries)
    return completer

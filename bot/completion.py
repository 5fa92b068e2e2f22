"""Suggestions while the user types an option value (Discord autocomplete, later others).

An `OptionSpec` names its source (`autocomplete="agency"`); a source is a plain coroutine
`(services, prefix, caller) -> [(label, value), ...]`. Adapters ask the app's `Completer` and never
know what the sources do: a feature declares its sources (`Feature.completions`) and the app
registers them, so neither the core nor the adapters know any feature's source.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
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


def build_completer(feature_sources: Iterable[Mapping[str, CompletionSource]]) -> Completer:
    """The core's own source (agencies) and every source the features declare."""
    completer = Completer()
    completer.register("agency", agency_names)
    for sources in feature_sources:
        for name, source in sources.items():
            completer.register(name, source)
    return completer

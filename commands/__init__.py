"""Features: each module declares its groups and commands (specs + handlers) once.

`FEATURES` is the ordered list the app registers; adding a feature means adding it here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.completion import CompletionSource
from bot.listeners import Listener
from bot.spec import CommandSpec, GroupSpec

if TYPE_CHECKING:
    from bot.services import Services
    from bot.web import WebRoute


@dataclass(frozen=True)
class Feature:
    """A feature's declarations. `on_start` rebuilds its scheduled jobs from the database
    and resumes unfinished runs, every time the bot starts; `listeners` see ordinary channel
    messages (passive features)."""

    name: str
    groups: Sequence[GroupSpec]
    commands: Sequence[CommandSpec]
    on_start: Callable[[Services], Awaitable[None]] | None = None
    # Called when the bot stops, before the database closes (e.g. let sends in flight finish).
    on_stop: Callable[[Services], Awaitable[None]] | None = None
    # HTTP routes the feature serves on the bot's web server (e.g. calendar feeds).
    routes: Callable[[Services], Sequence[WebRoute]] | None = None
    listeners: Sequence[Listener] = ()
    # Autocomplete sources the feature offers, by name (`OptionSpec.autocomplete`).
    completions: Mapping[str, CompletionSource] = field(default_factory=dict)


def all_features() -> list[Feature]:
    from commands import agency, announce, digest, events, help, match, profile, workspace
    from commands.faq import feature as faq

    return [
        help.FEATURE,
        agency.FEATURE,
        events.FEATURE,
        announce.FEATURE,
        digest.FEATURE,
        profile.FEATURE,
        match.FEATURE,
        faq.FEATURE,
        workspace.FEATURE,
    ]

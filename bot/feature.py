"""What a feature declares, once: its commands, its stores and migrations, its jobs, its routes,
its demo data and its command-line tools. The app registers whatever features it is given (the
one list is `commands.FEATURES`); the core never names a feature.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.completion import CompletionSource
from bot.home import HomeSection
from bot.listeners import Listener
from bot.metrics import DepthReader
from bot.spec import CommandSpec, GroupSpec

if TYPE_CHECKING:
    from bot.app import BotApp
    from bot.services import Services
    from bot.web import WebMount, WebRoute

# Adds the options every command-line tool takes (--config, --db, -v) to a parser.
CommonOptions = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class CliTool:
    """A `fedbot <name> …` command a feature brings (`fedbot faq import FILE`). `configure`
    adds its arguments (and sub-commands) to its parser; `run` does the work and returns the
    exit code. It gets the app opened (database migrated, agencies seeded) but not started: no
    platform, no job, no feature start hook (a running bot owns those)."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser, CommonOptions], None]
    run: Callable[[BotApp, argparse.Namespace], Awaitable[int]]


@dataclass(frozen=True)
class Feature:
    """A feature's declarations.

    `stores` builds its repositories, registered by type (`ctx.services.get(EventRepo)`);
    `migrations` is the folder of its Alembic branch; `on_start` rebuilds its scheduled jobs
    from the database and resumes unfinished runs, every time the bot starts; `on_stop` lets
    work in flight finish before the database closes; `listeners` see ordinary channel messages
    (passive features); `home` are its sections of a member's home (bot/home.py); `demo`
    loads its part of the demo data set (`fedbot run --demo`); `outbox_depth` reads how many
    of its deliveries are not settled, by platform (`/metrics`); `pending` counts its queued
    sends (`BotApp.settle`)."""

    name: str
    groups: Sequence[GroupSpec]
    commands: Sequence[CommandSpec]
    stores: Callable[[Services], Sequence[object]] | None = None
    migrations: Path | None = None
    on_start: Callable[[Services], Awaitable[None]] | None = None
    on_stop: Callable[[Services], Awaitable[None]] | None = None
    # HTTP routes the feature serves on the bot's web server (calendar feeds, the dashboard):
    # given the app, so a web page reaches the same dispatcher and rights as chat.
    routes: Callable[[BotApp], Sequence[WebRoute | WebMount]] | None = None
    listeners: Sequence[Listener] = ()
    # Autocomplete sources the feature offers, by name (`OptionSpec.autocomplete`).
    completions: Mapping[str, CompletionSource] = field(default_factory=dict)
    home: Sequence[HomeSection] = ()
    demo: Callable[[Services], Awaitable[None]] | None = None
    cli: Sequence[CliTool] = ()
    outbox_depth: Callable[[Services], DepthReader] | None = None
    # How many of the feature's sends are queued and due on a connected platform, starting
    # any that wait for a periodic sweep: what a piped console waits for (`BotApp.settle`).
    pending: Callable[[Services], Awaitable[int]] | None = None

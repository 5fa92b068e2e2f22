"""`fedbot run`: the bot on its platforms (or the console), until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import signal
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from bot.app import Adapter, BotApp
from bot.config import Config
from bot.errors import ConfigError, SendError
from bot.i18n import translator
from bot.settings import data_home
from bot.spec import Role
from fedbot.assembly import make_app
from fedbot.problems import UNREACHABLE, unreachable
from fedbot.shards import with_shards

log = logging.getLogger("fedbot")

SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Seconds from a stop signal to the end of the process (`docker stop` waits 10 s before
# SIGKILL); the adapters' share is kept for them, the features get the rest.
SHUTDOWN_TIMEOUT = 10.0
ADAPTERS_SHARE = 3.0
CANCEL_GRACE = 2.0  # how long a start that was cancelled gets to unwind


def platform_adapters(app: BotApp) -> list[Adapter]:
    """Every adapter whose credentials are present in the environment."""
    secrets = app.config.secrets
    adapters: list[Adapter] = []
    if secrets.slack_bot_token or (secrets.slack_client_id and secrets.slack_client_secret):
        from adapters.slack.adapter import SlackAdapter

        adapters.append(SlackAdapter(app))
    if secrets.discord_token:
        from adapters.discord.adapter import DiscordAdapter

        adapters.append(DiscordAdapter(app))
    return adapters


async def run(config: Config, args: argparse.Namespace) -> int:
    config = with_shards(config, args)  # refused before the database is even opened
    async with make_app(config) as app:
        if args.demo:
            await app.load_demo()
        adapters = [] if args.console else platform_adapters(app)
        try:
            if app.web.wanted:  # in every mode: calendar URLs and the dashboard lead somewhere
                await app.web.start()
            if not adapters:
                await _run_console(app, args)
                return 0
            await _serve(app, adapters)
        except ConfigError as exc:  # e.g. a token the platform refuses: say which, no traceback
            print(f"fedbot: {exc}", file=sys.stderr)
            return 2
        except SendError as exc:  # a platform that cannot be reached at start (auth.test)
            print(f"fedbot: could not start: {exc.reason}", file=sys.stderr)
            return 1
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            t = translator(config.bot.default_locale)
            where = f"{config.http.host}:{config.http.port}"
            print(t("cli.port_in_use", where=where), file=sys.stderr)
            return 2
    return 0


def history_file() -> Path:
    """The interactive console's history, beside the default database."""
    return data_home() / "console-history"


async def _run_console(app: BotApp, args: argparse.Namespace) -> None:
    from adapters.console.adapter import ConsoleAdapter, ConsoleOptions

    options = ConsoleOptions(
        user=args.user,
        role=Role.parse(args.role),
        lang=args.lang or app.config.bot.default_locale,
        channel=args.channel,
        json=args.json,
        agencies=tuple(args.agencies),
        files=args.files,
        history=history_file(),
    )
    await ConsoleAdapter(app, options).run()


async def _serve(app: BotApp, adapters: list[Adapter]) -> None:
    """Run the platform adapters on one loop until SIGINT/SIGTERM, then stop them cleanly.

    A signal is heeded in every phase: while an adapter is still connecting (Slack retries
    for as long as it cannot reach Socket Mode, Discord waits for its gateway), its start is
    cancelled. Stopping takes at most SHUTDOWN_TIMEOUT seconds; a second signal cuts it short.
    """
    signals = _Signals(asyncio.get_running_loop())
    started: list[Adapter] = []
    try:
        if app.web.wanted and not app.web.running:  # /healthz answers, /readyz tells what
            await app.web.start()  # is still connecting (`run` has started it already)
        for adapter in adapters:
            app.health.watch(adapter.name, adapter.ready)
            started.append(adapter)  # its stop() also undoes a start cut short
            try:
                connected = await _unless_stopped(adapter.start(), signals.stop)
            except UNREACHABLE as exc:
                raise unreachable(adapter.name.capitalize(), exc) from None
            if not connected:
                log.warning("stop asked while the %s adapter was connecting", adapter.name)
                return
            log.info("%s adapter started", adapter.name)
        await signals.stop.wait()
        log.info("shutting down")
    finally:
        signals.hurry_on_next()
        if not await _within(_shut_down(app, started), SHUTDOWN_TIMEOUT, signals.hurry):
            log.error("stopping took too long: exiting without waiting any more")
        signals.remove()


class _Signals:
    """SIGINT and SIGTERM set `stop`; once stopping, another one sets `hurry`."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.stop = asyncio.Event()
        self.hurry = asyncio.Event()
        self._stopping = False
        for sig in SIGNALS:
            loop.add_signal_handler(sig, self._received)

    def _received(self) -> None:
        if self._stopping:
            log.warning("second stop signal: not waiting any longer")
            self.hurry.set()
        self.stop.set()

    def hurry_on_next(self) -> None:
        self._stopping = True

    def remove(self) -> None:
        for sig in SIGNALS:
            self.loop.remove_signal_handler(sig)


async def _unless_stopped(work: Awaitable[None], stop: asyncio.Event) -> bool:
    """Run `work` unless `stop` is set first: then cancel it and return False."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if task in done:
        task.result()  # a failed start raises here
        return True
    task.cancel()
    await asyncio.wait({task}, timeout=CANCEL_GRACE)
    return False


async def _shut_down(app: BotApp, adapters: list[Adapter]) -> None:
    """Features first (in-flight sends finish while the adapters can still send), within
    their share of the time, then the adapters."""
    features_share = SHUTDOWN_TIMEOUT - ADAPTERS_SHARE
    if not await _within(app.stop_features(), features_share):
        log.warning(
            "work in flight unfinished after %.0f s: left for the next start", features_share
        )
    for adapter in reversed(adapters):
        await adapter.stop()
        app.health.forget(adapter.name)


async def _within(
    work: Awaitable[None], timeout: float, hurry: asyncio.Event | None = None
) -> bool:
    """Wait for `work` up to `timeout` s (or until `hurry` is set); cancel it if it is late.
    A failure is logged, not raised: stopping goes on with the next step."""
    task = asyncio.ensure_future(work)
    waits: set[asyncio.Future[Any]] = {task}
    if hurry is not None:
        waits.add(asyncio.ensure_future(hurry.wait()))
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits - {task}:
            waiting.cancel()
    if task.done():
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("error while stopping", exc_info=error)
        return True
    task.cancel()
    return False

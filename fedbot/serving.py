"""`fedbot run`: the bot on its platforms (or the console), until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from bot.app import Adapter, BotApp
from bot.config import Config
from bot.errors import ConfigError
from bot.spec import Role
from fedbot.assembly import make_app

log = logging.getLogger("fedbot")


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
    async with make_app(config) as app:
        if args.demo:
            await app.load_demo()
        adapters = [] if args.console else platform_adapters(app)
        try:
            if not adapters:
                await _run_console(app, args)
                return 0
            await _serve(app, adapters)
        except ConfigError as exc:  # e.g. a token the platform refuses: say which, no traceback
            print(f"fedbot: {exc}", file=sys.stderr)
            return 2
    return 0


async def _run_console(app: BotApp, args: argparse.Namespace) -> None:
    from adapters.console.adapter import ConsoleAdapter, ConsoleOptions

    options = ConsoleOptions(
        user=args.user,
        role=Role.parse(args.role),
        lang=args.lang or app.config.bot.default_locale,
        channel=args.channel,
        json=args.json,
        agencies=tuple(args.agencies),
    )
    if app.web.wanted:  # the dashboard and calendar feeds, beside the console
        await app.web.start()
    await ConsoleAdapter(app, options).run()


async def _serve(app: BotApp, adapters: list[Adapter]) -> None:
    """Run the platform adapters on one loop until SIGINT/SIGTERM, then stop them cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started: list[Adapter] = []
    try:
        for adapter in adapters:
            await adapter.start()
            started.append(adapter)
            log.info("%s adapter started", adapter.name)
        if app.web.wanted:
            await app.web.start()
        await stop.wait()
        log.info("shutting down")
    finally:
        await app.stop_features()  # in-flight sends finish while the adapters can still send
        for adapter in reversed(started):
            await adapter.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)

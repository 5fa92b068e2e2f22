"""The `fedbot` command: run the bot, migrate the database, the platforms' tools and the tools
each feature brings (`Feature.cli`: `fedbot faq import`, `fedbot members import`, …)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from bot.config import Config, load_config
from bot.errors import ConfigError
from bot.feature import CliTool
from bot.logs import setup_logging
from bot.spec import Role
from bot.storage.database import url_password
from commands import all_features
from fedbot import operations, platforms, serving
from fedbot import tools as tools_module
from fedbot.assembly import make_app

T = TypeVar("T")

log = logging.getLogger("fedbot")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop where available: its faster thread wake-ups halve the cost of each
    aiosqlite round trip (bench/dispatch.py measures it)."""
    try:
        import uvloop
    except ImportError:  # Windows: uvloop does not exist there
        return asyncio.run(coro)
    return uvloop.run(coro)


def common(parser: argparse.ArgumentParser) -> None:
    """The options every command takes."""
    parser.add_argument(
        "--config", type=Path, help="TOML config file (default: $FEDBOT_CONFIG or ./fedbot.toml)"
    )
    parser.add_argument(
        "--db", help="database URL (default: the config's, else ~/.local/share/fedbot/fedbot.db)"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log at INFO even in the console"
    )
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        help="log lines as text or one JSON object per line (default: the config's bot.log_format)",
    )


def _run_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser(
        "run",
        help="run the bot (console when no platform token is set)",
        description="Run the bot: Slack and Discord when their tokens are set, else the console.",
    )
    common(run)
    run.add_argument("--demo", action="store_true", help="load the French demo data set first")
    run.add_argument(
        "--console", action="store_true", help="use the console even if tokens are set"
    )
    run.add_argument(
        "--as",
        dest="role",
        default="admin",
        choices=[r.key for r in Role],
        help="console: caller's role",
    )
    run.add_argument(
        "--agency",
        action="append",
        dest="agencies",
        default=[],
        metavar="NAME",
        help="console, with --as moderator: moderate this agency only (repeatable)",
    )
    run.add_argument("--user", default="operator", help="console: caller's user name")
    run.add_argument(
        "--lang", default=None, choices=["fr", "en"], help="console: caller's language"
    )
    run.add_argument(
        "--channel", default="general", help="console: channel the commands are typed in"
    )
    run.add_argument(
        "--json", action="store_true", help="console: print each reply as one JSON line"
    )


def build_parser(tools: Sequence[CliTool] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fedbot", description="fedbot — the federation's community bot"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _run_parser(sub)
    migrate = sub.add_parser(
        "migrate",
        help="apply database migrations and exit",
        description="Apply every pending database migration (core, features, adapters).",
    )
    common(migrate)
    platforms.add_parsers(sub, common)
    tools_module.add_parsers(sub, common)
    operations.add_parsers(sub, common)
    for tool in tools:
        tool.configure(sub.add_parser(tool.name, help=tool.help, description=tool.help), common)
    return parser


def _opened(tool: CliTool) -> Callable[[Config, argparse.Namespace], Awaitable[int]]:
    """A feature's tool, given the app opened (migrated, no feature started) and closed after."""

    async def run(config: Config, args: argparse.Namespace) -> int:
        app = make_app(config, start_scheduler=False)
        await app.open()
        try:
            return await tool.run(app, args)
        finally:
            await app.close()

    return run


def _load(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    if args.db:
        config = replace(config, bot=replace(config.bot, database_url=args.db))
    return config


def main(argv: Sequence[str] | None = None) -> int:
    tools = {tool.name: tool for feature in all_features() for tool in feature.cli}
    args = build_parser(list(tools.values())).parse_args(argv)
    try:
        config = _load(args)
    except ConfigError as exc:
        if args.command == "doctor":  # the first of its checks
            return operations.config_failed(exc)
        print(f"fedbot: {exc}", file=sys.stderr)
        return 2
    level = config.bot.log_level
    log_format = args.log_format or config.bot.log_format
    reports = ("run", "privacy", "secrets", "doctor", "backup")
    # Keep the console and the tools' reports readable; -v brings the logs back. JSON logs
    # go to a collector, not to a person: they keep their level.
    quiet = args.command in reports or args.command in tools
    if quiet and log_format == "text" and not args.verbose and level in ("DEBUG", "INFO"):
        level = "WARNING"
    password = url_password(config.bot.database_url)
    secrets = [*config.secrets.values(), *([password] if password else [])]
    setup_logging(level, secrets, fmt=log_format)
    handlers = {
        "run": serving.run,
        "migrate": platforms.migrate,
        "slack": platforms.slack,
        "discord": platforms.discord,
        "privacy": tools_module.privacy,
        "secrets": tools_module.secrets,
        "doctor": operations.doctor,
        "backup": operations.backup,
        **{name: _opened(tool) for name, tool in tools.items()},
    }
    try:
        return run_async(handlers[args.command](config, args))
    except KeyboardInterrupt:
        return 130

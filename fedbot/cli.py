"""The `fedbot` command: run the bot, migrate the database, the platforms' tools and the tools
each feature brings (`Feature.cli`: `fedbot faq import`, `fedbot members import`, …)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

from adapters.console.files import DEFAULT_FOLDER
from bot.config import Config, load_config
from bot.errors import ConfigError, DatabaseUnavailable
from bot.feature import CliTool
from bot.i18n import DEFAULT_LANG, translator
from bot.logs import setup_logging
from bot.settings import database_url, default_database_url
from bot.spec import Role
from bot.storage.database import url_password
from commands import all_features
from fedbot import operations, platforms, serving, shards
from fedbot import tools as tools_module
from fedbot.assembly import make_app
from fedbot.problems import CliError, database_problem

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
        "--db",
        help="database: a SQLite file path or a URL (default: the config's, else "
        "~/.local/share/fedbot/fedbot.db)",
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
    run.add_argument("--user", default="operator", type=_user_id, help="console: caller's user id")
    run.add_argument(
        "--lang", default=None, choices=["fr", "en"], help="console: caller's language"
    )
    run.add_argument(
        "--channel", default="general", help="console: channel the commands are typed in"
    )
    run.add_argument(
        "--json", action="store_true", help="console: print each reply as one JSON line"
    )
    run.add_argument(
        "--files",
        type=Path,
        default=DEFAULT_FOLDER,
        metavar="DIR",
        help="console: folder the attachments (.ics, exports) are written to "
        f"(default: ./{DEFAULT_FOLDER})",
    )
    shards.add_arguments(run)


_USER_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _user_id(text: str) -> str:
    """`--user`: an id like the platforms' (`claire`, `jean.dupont`), never empty."""
    if not _USER_ID.match(text):
        raise argparse.ArgumentTypeError(
            "expected an id of 1 to 64 letters, digits, '.', '_' or '-', such as claire"
        )
    return text


def package_version() -> str:
    try:
        return version("fedbot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_parser(tools: Sequence[CliTool] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fedbot",
        description="fedbot — the community bot of a federation of economic-development "
        "agencies (Slack, Discord and the console).",
    )
    parser.add_argument("--version", action="version", version=f"fedbot {package_version()}")
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
        try:
            await app.open()
            return await tool.run(app, args)
        finally:
            await app.close()

    return run


def _load(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    if args.db:
        config = replace(config, bot=replace(config.bot, database_url=database_url(args.db)))
    default = default_database_url()
    if config.bot.database_url == default:  # only the default data directory is created
        # Personal data: a folder only its owner can enter.
        Path(default.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return config


def _quiet_noise() -> None:
    """discord.py warns at every start that voice needs PyNaCl and davey: the bot never
    joins a voice channel, so the warning is noise for operators."""

    def drop(record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()

    logging.getLogger("discord.client").addFilter(drop)


def feature_tools() -> dict[str, CliTool]:
    """The features' own commands (`fedbot faq import`…), by name."""
    return {tool.name: tool for feature in all_features() for tool in feature.cli}


def main(argv: Sequence[str] | None = None) -> int:
    tools = feature_tools()
    args = build_parser(list(tools.values())).parse_args(argv)
    try:
        config = _load(args)
    except ConfigError as exc:
        if args.command == "doctor":  # the first of its checks
            return operations.config_failed(exc)
        print(f"fedbot: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the default data directory cannot be created
        print(f"fedbot: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    level = config.bot.log_level
    log_format = args.log_format or config.bot.log_format
    # Quiet by default (no migration chatter; the console and the tools' reports stay
    # readable); -v brings the logs back. JSON logs go to a collector, not to a person: they
    # keep their level.
    if log_format == "text" and not args.verbose and level in ("DEBUG", "INFO"):
        level = "WARNING"
    password = url_password(config.bot.database_url)
    secrets = [*config.secrets.values(), *([password] if password else [])]
    setup_logging(level, secrets, fmt=log_format)
    _quiet_noise()
    t = translator(config.bot.default_locale or DEFAULT_LANG, config.bot.timezone)
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
    except DatabaseUnavailable as exc:
        print(database_problem(exc, config.bot.database_url, t), file=sys.stderr)
        return 2
    except CliError as exc:
        print(exc.describe(t), file=sys.stderr)
        return exc.code

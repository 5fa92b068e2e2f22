"""The `fedbot` command: run the bot, migrate the database, and the feature tools."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot import workspace_cli
from bot.config import Config, load_config
from bot.errors import ConfigError
from bot.logs import setup_logging
from bot.spec import Role

if TYPE_CHECKING:
    from bot.app import Adapter, BotApp

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


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, help="TOML config file (default: $FEDBOT_CONFIG or ./fedbot.toml)"
    )
    parser.add_argument(
        "--db", help="database URL (default: the config's, else ~/.local/share/fedbot/fedbot.db)"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log at INFO even in the console"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fedbot", description="fedbot — the federation's community bot"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot (console when no platform token is set)")
    _common(run)
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

    migrate = sub.add_parser("migrate", help="apply database migrations and exit")
    _common(migrate)

    slack = sub.add_parser("slack", help="Slack tools")
    slack_sub = slack.add_subparsers(dest="slack_command", required=True)
    manifest = slack_sub.add_parser(
        "manifest", help="print the Slack app manifest generated from the commands"
    )
    _common(manifest)
    manifest.add_argument("--format", choices=["json", "yaml"], default="json")
    _common(
        slack_sub.add_parser(
            "groups", help="list the workspaces and user groups with the ids grants use"
        )
    )

    discord = sub.add_parser("discord", help="Discord tools")
    discord_sub = discord.add_subparsers(dest="discord_command", required=True)
    sync = discord_sub.add_parser(
        "sync", help="push the slash commands to Discord (configured guilds, else global)"
    )
    _common(sync)
    sync.add_argument(
        "--guild", action="append", dest="guilds", metavar="ID", help="only this guild"
    )
    sync.add_argument(
        "--global", action="store_true", dest="global_commands", help="push global commands"
    )
    sync.add_argument(
        "--clear", action="store_true", help="remove the commands from that scope instead"
    )
    _common(
        discord_sub.add_parser(
            "roles", help="list the bot's servers and their roles with the ids grants use"
        )
    )
    _members_parser(sub)
    _faq_parser(sub)
    workspace_cli.add_parser(sub, _common)
    return parser


def _members_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    members = sub.add_parser("members", help="member lists: import profiles, erase who left")
    members_sub = members.add_subparsers(dest="members_command", required=True)
    tools = {
        "import": "import members and profiles from a CSV file (platform, user_id, "
        "display_name, agency, interests separated by ';', opt_in[, workspace])",
        "purge": "erase the members listed in a CSV file (platform, user_id[, workspace])",
    }
    for name, help_text in tools.items():
        tool = members_sub.add_parser(name, help=help_text)
        _common(tool)
        tool.add_argument("file", type=Path, help="the CSV file (UTF-8)")
        tool.add_argument(
            "--workspace", help="workspace of rows without one (Slack team id, Discord guild id)"
        )
        tool.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        if name == "import":
            tool.add_argument(
                "--strict", action="store_true", help="write nothing if any row is rejected"
            )


def _faq_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    faq = sub.add_parser("faq", help="FAQ tools: import or export the entries as YAML")
    faq_sub = faq.add_subparsers(dest="faq_command", required=True)
    tools = {
        "import": "add or update FAQ entries from a YAML file (by id); a file with a mistake "
        "is refused whole",
        "export": "write every FAQ entry to a YAML file (- for standard output)",
    }
    for name, help_text in tools.items():
        tool = faq_sub.add_parser(name, help=help_text)
        _common(tool)
        tool.add_argument("file", type=Path, help="the YAML file (UTF-8)")


def _load(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    if args.db:
        from dataclasses import replace

        config = replace(config, bot=replace(config.bot, database_url=args.db))
    return config


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = _load(args)
    except ConfigError as exc:
        print(f"fedbot: {exc}", file=sys.stderr)
        return 2
    level = config.bot.log_level
    quiet = args.command in ("run", "members", "faq")  # interactive, or a report of its own
    if quiet and not args.verbose and level in ("DEBUG", "INFO"):
        level = "WARNING"  # keep the console readable; -v brings the logs back
    setup_logging(level, config.secrets.values())
    handlers = {
        "run": _run,
        "migrate": _migrate,
        "slack": _slack,
        "discord": _discord,
        "members": _members,
        "faq": _faq,
        "workspaces": workspace_cli.workspaces_command,
    }
    try:
        return run_async(handlers[args.command](config, args))
    except KeyboardInterrupt:
        return 130


async def _members(config: Config, args: argparse.Namespace) -> int:
    from commands.profile.member_tools import members_command

    return await members_command(config, args)


async def _faq(config: Config, args: argparse.Namespace) -> int:
    from commands.faq.transfer import faq_command

    return await faq_command(config, args.faq_command, args.file)


async def _migrate(config: Config, args: argparse.Namespace) -> int:
    from bot.storage.database import Database

    db = Database.open(config.bot.database_url)
    try:
        await db.migrate()
        heads = await db.revision()
    finally:
        await db.close()
    print(f"database up to date: {', '.join(heads)}")
    return 0


async def _slack(config: Config, args: argparse.Namespace) -> int:
    if args.slack_command == "groups":
        from adapters.slack.ids import group_lines
        from bot.storage.database import Database

        db = Database.open(config.bot.database_url)
        try:
            await db.migrate()
            print("\n".join(await group_lines(config, db)))
        except ConfigError as exc:
            print(f"fedbot: {exc}", file=sys.stderr)
            return 2
        finally:
            await db.close()
        return 0
    from adapters.slack.manifest import manifest_text

    print(manifest_text(config, args.format))
    return 0


async def _discord(config: Config, args: argparse.Namespace) -> int:
    from adapters.discord.adapter import sync_commands
    from bot.app import BotApp

    if args.discord_command == "roles":
        from adapters.discord.ids import role_lines

        async with BotApp(config, start_scheduler=False) as app:
            try:
                print("\n".join(await role_lines(app)))
            except ConfigError as exc:
                print(f"fedbot: {exc}", file=sys.stderr)
                return 2
        return 0
    async with BotApp(config, start_scheduler=False) as app:
        try:
            guilds = [] if args.global_commands else args.guilds
            synced = await sync_commands(app, guilds, clear=args.clear)
        except ConfigError as exc:
            print(f"fedbot: {exc}", file=sys.stderr)
            return 2
    for result in synced:
        print(f"{result.scope}: {', '.join(result.commands) or '(none)'}")
    return 0


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


async def _run(config: Config, args: argparse.Namespace) -> int:
    from bot.app import BotApp

    async with BotApp(config) as app:
        if args.demo:
            from bot.demo import load_demo

            await load_demo(app.services)
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

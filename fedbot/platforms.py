"""`fedbot migrate`, `fedbot slack manifest|groups`, `fedbot discord sync|roles`: the
platforms' tools. None starts a feature (no job, no hook): they open the database only."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bot.config import Config
from bot.errors import ConfigError
from bot.i18n import translator
from bot.storage.database import Database
from fedbot.assembly import full_registry, make_app, migration_dirs
from fedbot.problems import UNREACHABLE, CliError, unreachable

Common = Callable[[argparse.ArgumentParser], None]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: Common) -> None:
    slack = sub.add_parser("slack", help="Slack tools", description="Slack tools.")
    slack_sub = slack.add_subparsers(dest="slack_command", required=True)
    manifest = slack_sub.add_parser(
        "manifest",
        help="print the Slack app manifest generated from the commands",
        description="Print the Slack app manifest generated from the commands.",
    )
    common(manifest)
    manifest.add_argument("--format", choices=["json", "yaml"], default="json")
    groups = slack_sub.add_parser(
        "groups",
        help="list the workspaces and user groups with the ids grants use",
        description="List the workspaces and user groups with the ids grants use.",
    )
    common(groups)

    discord = sub.add_parser("discord", help="Discord tools", description="Discord tools.")
    discord_sub = discord.add_subparsers(dest="discord_command", required=True)
    sync = discord_sub.add_parser(
        "sync",
        help="push the slash commands to Discord (configured guilds, else global)",
        description="Push the slash commands to Discord (configured guilds, else global).",
    )
    common(sync)
    sync.add_argument(
        "--guild", action="append", dest="guilds", metavar="ID", help="only this guild"
    )
    sync.add_argument(
        "--global", action="store_true", dest="global_commands", help="push global commands"
    )
    sync.add_argument(
        "--clear", action="store_true", help="remove the commands from that scope instead"
    )
    roles = discord_sub.add_parser(
        "roles",
        help="list the bot's servers and their roles with the ids grants use",
        description="List the bot's servers and their roles with the ids grants use.",
    )
    common(roles)


def _open(config: Config) -> Database:
    return Database.open(config.bot.database_url, migration_dirs())


async def migrate(config: Config, args: argparse.Namespace) -> int:
    db = _open(config)
    try:
        await db.migrate()
        heads = await db.revision()
    finally:
        await db.close()
    t = translator(config.bot.default_locale, config.bot.timezone)
    print(t("cli.migrated", heads=", ".join(heads)))
    return 0


async def slack(config: Config, args: argparse.Namespace) -> int:
    if args.slack_command == "groups":
        from adapters.slack.ids import group_lines

        db = _open(config)
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

    print(manifest_text(config, full_registry(), args.format))
    return 0


async def discord(config: Config, args: argparse.Namespace) -> int:
    from adapters.discord.adapter import sync_commands
    from adapters.discord.ids import role_lines

    if not config.secrets.discord_token:  # said before the database is even opened
        raise CliError("no_discord_token")
    app = make_app(config, start_scheduler=False)
    try:
        await app.open()
        if args.discord_command == "roles":
            print("\n".join(await role_lines(app)))
            return 0
        guilds = [] if args.global_commands else args.guilds
        synced = await sync_commands(app, guilds, clear=args.clear)
    except ConfigError as exc:
        print(f"fedbot: {exc}", file=sys.stderr)
        return 2
    except UNREACHABLE as exc:
        raise unreachable("Discord", exc) from None
    finally:
        await app.close()
    for result in synced:
        print(f"{result.scope}: {', '.join(result.commands) or '(none)'}")
    return 0

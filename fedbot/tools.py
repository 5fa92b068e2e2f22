"""`fedbot privacy register|purge` and `fedbot secrets generate|rotate`: the operator's tools
for personal data and stored secrets. They open the database only (no feature starts)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from adapters.slack.installations import InstallationStore
from bot.config import Config
from bot.processing import render_register
from bot.retention import enforce
from bot.secret_box import SecretBox, SecretKeyError
from fedbot.assembly import make_app

Common = Callable[[argparse.ArgumentParser], None]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: Common) -> None:
    privacy = sub.add_parser(
        "privacy",
        help="personal data: the record of processing, retention",
        description="Personal data: the record of processing (GDPR art. 30) and retention.",
    )
    tools = privacy.add_subparsers(dest="privacy_command", required=True)
    register = tools.add_parser(
        "register",
        help="print the bot's part of the record of processing activities",
        description="Print the bot's part of the GDPR record of processing activities.",
    )
    common(register)
    register.add_argument("--lang", choices=["fr", "en"], default="fr")
    purge = tools.add_parser(
        "purge",
        help="delete what is older than its [privacy] duration (the daily job, now)",
        description="Delete what is older than its [privacy] duration (the daily job, now).",
    )
    common(purge)
    purge.add_argument("--dry-run", action="store_true", help="count what would go, delete nothing")

    secrets = sub.add_parser(
        "secrets",
        help="the key that encrypts stored tokens",
        description="The key that encrypts stored tokens (FEDBOT_SECRET_KEY).",
    )
    tools = secrets.add_subparsers(dest="secrets_command", required=True)
    common(tools.add_parser("generate", help="print a new key for FEDBOT_SECRET_KEY"))
    common(
        tools.add_parser(
            "rotate",
            help="re-encrypt every stored token with the first key of FEDBOT_SECRET_KEY",
            description="With FEDBOT_SECRET_KEY=new,old: re-encrypt every stored token with "
            "the new key; the old one can then be dropped.",
        )
    )


async def privacy(config: Config, args: argparse.Namespace) -> int:
    app = make_app(config, start_scheduler=False)
    await app.open()
    try:
        if args.privacy_command == "register":
            print(render_register(config.privacy, args.lang), end="")
            return 0
        done = await enforce(app.services, app.clock.now(), dry_run=args.dry_run)
    finally:
        await app.close()
    verb = "would go" if args.dry_run else "gone"
    for rule, count in done:
        duration = getattr(config.privacy, rule.setting)
        print(f"{rule.name:18} {count:6} {verb}  ({rule.what.en}; older than {duration} "
              f"{rule.setting.rsplit('_', 1)[1]})")  # fmt: skip
    return 0


async def secrets(config: Config, args: argparse.Namespace) -> int:
    if args.secrets_command == "generate":
        print(SecretBox.generate())
        return 0
    box = SecretBox(config.secrets.secret_key)
    if not box.enabled:
        print("fedbot: FEDBOT_SECRET_KEY is not set (`fedbot secrets generate`)", file=sys.stderr)
        return 2
    app = make_app(config, start_scheduler=False)
    await app.open()
    try:
        store = InstallationStore(app.db, app.clock, app.services.federation, box)
        changed = await store.seal_all()
    except SecretKeyError as exc:
        print(f"fedbot: {exc}", file=sys.stderr)
        return 2
    finally:
        await app.close()
    print(f"{changed} stored token(s) encrypted with the first key of FEDBOT_SECRET_KEY")
    return 0

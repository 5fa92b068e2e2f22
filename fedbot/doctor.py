"""`fedbot doctor`: is this set-up ready to run? One line per check (✓ fine, ✗ to fix, – not
applicable), exit code 1 when anything is to fix. It reads and changes nothing.

Checks, in order: the config file, the database (reachable, migrations at head), the
federation's allow-lists, then each platform's (tokens, scopes or intents, stored secrets).
A console-only set-up, with no token, is healthy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from adapters.discord.doctor import discord_findings
from adapters.slack.doctor import slack_findings
from bot.checkup import Finding, Situation, check_allow_lists, check_database, sqlite_file
from bot.config import Config
from bot.storage.database import Database
from fedbot.assembly import migration_dirs

PlatformCheck = Callable[[Situation], Awaitable[list[Finding]]]

# The platforms' checks, run in this order after the core's. EXTENSION POINT: a further check
# of a platform (e.g. the Discord permissions scheduled events need) is appended to its list;
# it gets the `Situation` (config, database, approved workspaces) and returns its findings.
PLATFORM_CHECKS: dict[str, list[PlatformCheck]] = {
    "slack": [slack_findings],
    "discord": [discord_findings],
}
CHECK_TIMEOUT = 20.0  # seconds a platform check may take (retries included)


async def doctor(config: Config, args: argparse.Namespace) -> int:
    situation = Situation(config)
    failed = _show([Finding(True, "config", config_source(args.config))])
    database: Database | None = None
    try:
        found, database = await _database(situation)
        failed |= _show(found)
        failed |= _show(check_allow_lists(situation))
        for platform, checks in PLATFORM_CHECKS.items():
            for check in checks:
                failed |= _show(await _bounded(platform, check, situation))
    finally:
        if database is not None:
            await database.close()
    return 1 if failed else 0


def config_failed(error: Exception) -> int:
    """The config cannot be read: the doctor's first check fails, and it stops there."""
    _show([Finding(False, "config", str(error).removeprefix("config: "))])
    return 1


def config_source(path: Path | None) -> str:
    """Which file the config came from, found as `bot.config.load_config` finds it."""
    if path is None and os.environ.get("FEDBOT_CONFIG"):
        path = Path(os.environ["FEDBOT_CONFIG"])
    if path is None and Path("fedbot.toml").is_file():
        path = Path("fedbot.toml")
    return f"{path} is valid" if path else "no file: every key has its default"


def _show(findings: Iterable[Finding]) -> bool:
    """Print the lines; True when one of them is a failure."""
    failed = False
    for finding in findings:
        print(finding.line(), flush=True)
        failed |= finding.ok is False
    return failed


async def _database(situation: Situation) -> tuple[list[Finding], Database | None]:
    url = situation.config.bot.database_url
    path = sqlite_file(url)
    if path is not None and not path.exists():
        return [
            Finding(
                True,
                "database",
                f"{path} does not exist yet: `fedbot run` or `fedbot migrate` creates it",
            ),
            Finding(None, "migrations", "applied when the database is created"),
        ], None
    try:
        database = Database.open(url, migration_dirs())
    except Exception as exc:  # a malformed URL, a driver not installed
        return [Finding(False, "database", f"cannot open: {exc}")], None
    return await check_database(situation, database), database


async def _bounded(platform: str, check: PlatformCheck, situation: Situation) -> list[Finding]:
    try:
        return await asyncio.wait_for(check(situation), CHECK_TIMEOUT)
    except TimeoutError:
        return [Finding(False, platform, f"no answer within {CHECK_TIMEOUT:g} s")]

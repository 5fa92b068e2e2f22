"""`fedbot doctor` and `fedbot backup`: the operator's checks and copies.

`backup` copies a SQLite database with SQLite's online backup, which reads a consistent
snapshot while the bot keeps writing; the copy is a single file (no -wal beside it), readable
by its owner only. For PostgreSQL it prints the `pg_dump` command to run (password hidden) and
does nothing itself: the server's own tools do it better.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.checkup import sqlite_file
from bot.config import Config

Common = Callable[[argparse.ArgumentParser], None]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: Common) -> None:
    doctor = sub.add_parser(
        "doctor",
        help="check the config, the database, the tokens and the allow-lists",
        description="Check the config, the database (reachable, migrations at head), the "
        "platform tokens and their scopes or intents, the federation's allow-lists and the "
        "stored secrets. One line per check; exit code 1 when one fails.",
    )
    common(doctor)
    backup = sub.add_parser(
        "backup",
        help="copy the SQLite database while the bot runs (PostgreSQL: the pg_dump command)",
        description="Copy the SQLite database to FILE with SQLite's online backup (consistent "
        "while the bot runs; the copy is readable by its owner only). With PostgreSQL, print "
        "the pg_dump command to use instead.",
    )
    common(backup)
    backup.add_argument(
        "file", nargs="?", type=Path, help="where to write the copy (default: ./fedbot-<UTC>.db)"
    )


async def doctor(config: Config, args: argparse.Namespace) -> int:
    from fedbot.doctor import doctor as run_doctor  # the platforms' SDKs: only when asked

    return await run_doctor(config, args)


def config_failed(error: Exception) -> int:
    from fedbot.doctor import config_failed as failed

    return failed(error)


async def backup(config: Config, args: argparse.Namespace) -> int:
    url = config.bot.database_url
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    if make_url(url).get_backend_name() == "postgresql":
        print(pg_dump_command(url, args.file or Path(f"fedbot-{stamp}.dump")))
        return 0
    source = sqlite_file(url)
    if source is None:
        engine = make_url(url).get_backend_name()
        print(f"fedbot backup: {engine}: use the database's own tools", file=sys.stderr)
        return 2
    if not source.is_file():
        print(f"fedbot backup: no database at {source}", file=sys.stderr)
        return 2
    target: Path = args.file or Path(f"fedbot-{stamp}.db")
    try:
        await asyncio.to_thread(sqlite_backup, source, target)
    except FileExistsError:
        print(f"fedbot backup: {target} exists already: choose another name", file=sys.stderr)
        return 2
    except (OSError, sqlite3.Error) as exc:
        print(f"fedbot backup: {exc}", file=sys.stderr)
        return 1
    print(f"{source} copied to {target} ({target.stat().st_size:,} bytes)")
    return 0


def sqlite_backup(source: Path, target: Path) -> None:
    """SQLite's online backup into a new file, mode 0600, checked before it is kept."""
    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        src = sqlite3.connect(source, timeout=30)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # one step: a consistent snapshot, even with writers in between
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            verdict = dst.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            dst.close()
            src.close()
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"the copy failed its check: {verdict}")
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def pg_dump_command(url: str, target: Path) -> str:
    """What to run for a PostgreSQL database; the password is never printed."""
    parsed = make_url(url)
    options = [f"--format=custom --file={target}"]
    if parsed.host:
        options.append(f"--host={parsed.host}")
    if parsed.port:
        options.append(f"--port={parsed.port}")
    if parsed.username:
        options.append(f"--username={parsed.username}")
    password = "PGPASSWORD='***' " if parsed.password else ""
    database = parsed.database or ""
    return (
        "fedbot does not copy a PostgreSQL database itself: run pg_dump, which takes a "
        "consistent snapshot while the bot runs:\n\n"
        f"  {password}pg_dump {' '.join(options)} {database}\n\n"
        + (
            "(*** is the password of the database URL; or put it in ~/.pgpass)\n"
            if password
            else ""
        )
        + f"Restore with: pg_restore --clean --if-exists --no-owner --dbname={database} {target}"
    )

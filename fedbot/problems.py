"""What the command line says when it cannot do its work: one line in the operator's language
(the config's `bot.default_locale`) and an exit code, never a traceback."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import DatabaseUnavailable
from bot.i18n import Translator


class CliError(Exception):
    """A problem the operator can fix: `key` names a message of `cli.*`."""

    def __init__(self, key: str, /, code: int = 2, **kwargs: Any) -> None:
        super().__init__(key)
        self.key = key
        self.code = code
        self.kwargs = kwargs

    def describe(self, t: Translator) -> str:
        return t(f"cli.{self.key}", **self.kwargs)


# What a platform that cannot be reached raises while connecting (DNS, refused, TLS, timeout).
UNREACHABLE = (OSError, aiohttp.ClientError, asyncio.TimeoutError)


def unreachable(platform: str, exc: BaseException) -> CliError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return CliError("platform_unreachable", platform=platform, detail=detail[:200])


def database_problem(exc: DatabaseUnavailable, url: str, t: Translator) -> str:
    """A database that cannot be used, said with its place (never its password)."""
    if exc.problem == "bad_url":
        return t("cli.db_bad_url", detail=exc.detail)
    try:
        parsed = make_url(url)
    except ArgumentError:
        return t("cli.db_unreachable", where="?", detail=exc.detail)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not path.parent.is_dir():
            return t("cli.db_no_folder", path=path, folder=path.parent)
        return t("cli.db_cannot_open", path=path, detail=exc.detail)
    where = f"{parsed.host or 'localhost'}:{parsed.port or ''}".rstrip(":")
    if parsed.database:
        where += f"/{parsed.database}"
    return t("cli.db_unreachable", where=where, detail=exc.detail)

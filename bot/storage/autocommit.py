"""Statements on PostgreSQL that are each their own transaction: one round trip each.

A read through the main pool costs four round trips: the pool's ping before use, BEGIN, the
query, and the ROLLBACK that returns the connection. Reads need no transaction (a single
SELECT is consistent by itself), and the replay guard's upsert is atomic by itself, so both go
through a second, small pool in autocommit, without the ping. A connection the server dropped
(a restart, an idle timeout) then fails its statement: a read is simply tried again on a fresh
connection (the failure invalidated the pool's older connections too); a write's caller
decides, since the statement may have been applied before the connection died.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable
from sqlalchemy.engine import Result
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

POOL_SIZE = 4  # beside the main pool's: several processes share the server's connections
MAX_OVERFLOW = 4


def autocommit_engine(main: AsyncEngine) -> AsyncEngine:
    return create_async_engine(
        main.url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, isolation_level="AUTOCOMMIT"
    )


class AutocommitStatements:
    """`execute` and `scalar` with the `AsyncConnection` signature (see `database.Reads`); `retry`:
    run a statement once more when its connection turned out dead (for reads only)."""

    def __init__(self, engine: AsyncEngine, *, retry: bool) -> None:
        self.engine = engine
        self._attempts = 2 if retry else 1

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]:
        for attempt in range(1, self._attempts + 1):
            try:
                async with self.engine.connect() as conn:
                    return (await conn.execute(statement, parameters)).freeze()()
            except DBAPIError as err:
                if attempt == self._attempts or not err.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        return (await self.execute(statement, parameters)).scalar()

    async def close(self) -> None:
        await self.engine.dispose()  # shared by the reads and the statements: twice is fine

"""Statements on a SQLite file in one thread hop each: every read, and the hot autocommit write.

aiosqlite runs every DB-API call on its own thread: a query through SQLAlchemy's async
engine costs a hop to create the cursor, one to execute, one to fetch, one to close and one
for the rollback that ends the connection's implicit transaction — five round trips through
the event loop for one SELECT. Here the whole query (compile, execute, fetch every row) runs
as a single call on a small pool of reader threads with the standard driver, and its rows
come back buffered. SQLite in WAL mode lets those readers run beside the writer.

The same goes for a write that is one statement and its own transaction (the replay guard's
upsert, on the path of every Slack request), on a thread of its own, in turn with the other
writers (`Database.statement` holds the write lock).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, Executable, create_engine, event
from sqlalchemy.engine import URL, Connection, Result

READER_THREADS = 2  # a long query (a dashboard report) leaves a thread for commands


class SqliteThreads:
    """`execute` and `scalar` with the `AsyncConnection` signature, each one thread hop.

    Each call checks a connection out of the sync engine's pool on the reader thread and
    returns it there. The driver is in autocommit (`on_connect` sets it) and this engine has
    no BEGIN listener: no transaction is begun (a single SELECT is already consistent), so
    ending one costs nothing."""

    def __init__(
        self, url: URL, on_connect: Callable[[Any, Any], None], threads: int = READER_THREADS
    ) -> None:
        self._engine: Engine = create_engine(
            url.set(drivername="sqlite+pysqlite"),
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=threads,
            pool_reset_on_return=None,
        )
        event.listen(self._engine, "connect", on_connect)
        self._threads = ThreadPoolExecutor(threads, thread_name_prefix="sqlite")

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]:
        frozen = await self._run(_fetch_all, statement, parameters)
        return frozen()

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        return await self._run(_first_value, statement, parameters)

    async def _run(
        self, work: Callable[[Connection, Executable, Any], Any], statement: Executable, params: Any
    ) -> Any:
        def on_thread() -> Any:
            with self._engine.connect() as conn:
                return work(conn, statement, params)

        return await asyncio.get_running_loop().run_in_executor(self._threads, on_thread)

    async def close(self) -> None:
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        self._threads.shutdown(wait=True)
        self._engine.dispose()


def _fetch_all(conn: Connection, statement: Executable, params: Mapping[str, Any] | None) -> Any:
    return conn.execute(statement, params).freeze()


def _first_value(conn: Connection, statement: Executable, params: Mapping[str, Any] | None) -> Any:
    return conn.execute(statement, params).scalar()

"""The engine and its lifecycle: SQLite pragmas, write serialisation, migrations on start,
and faults: a pool that tests its connections, transient errors retried with jitter."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Executable, Select, String, cast, event, func, select
from sqlalchemy.engine import Connection, Result, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InvalidRequestError, NoSuchModuleError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.errors import DatabaseUnavailable
from bot.storage.autocommit import AutocommitStatements, autocommit_engine
from bot.storage.sqlite_threads import SqliteThreads

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
T = TypeVar("T")
RETRIES = 4  # attempts of a transaction that met a transient fault
RETRY_BASE = 0.05  # seconds; doubled per attempt, with full jitter
# PostgreSQL SQLSTATEs worth another try: connection lost (08…), serialization failure,
# deadlock, the server shutting down or restarting (57P…).
_TRANSIENT_STATES = ("08", "40001", "40P01", "57P01", "57P02", "57P03")


class Reads(Protocol):
    """What `read()` and `statement()` give: run a statement, read its rows. An
    `AsyncConnection` satisfies it (in-memory SQLite), and so do `SqliteThreads` (a SQLite
    file) and `AutocommitStatements` (PostgreSQL)."""

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]: ...

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any: ...


class Database:
    """Owns the engine. `read()` for queries, `write()` for a transaction.

    SQLite allows one writer at a time; rather than letting concurrent writers fail with
    "database is locked", writes are serialised in-process and start with BEGIN IMMEDIATE so a
    read-then-write transaction (e.g. an RSVP checking capacity) cannot be overtaken by another
    process between its read and its write.
    """

    def __init__(self, engine: AsyncEngine, migrations: Sequence[Path] = ()) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.migrations = tuple(migrations)
        self._write_lock = asyncio.Lock()
        self._script_heads: list[str] | None = None
        self._unreachable = False
        # Where reads and autocommit statements go, each in one hop (a thread's or the
        # network's); None: through the main pool (an in-memory SQLite database).
        self._reads: SqliteThreads | AutocommitStatements | None = None
        self._statements: SqliteThreads | AutocommitStatements | None = None
        path = engine.url.database
        if not self.is_sqlite:
            autocommit = autocommit_engine(engine)
            self._reads = AutocommitStatements(autocommit, retry=True)
            self._statements = AutocommitStatements(autocommit, retry=False)
        elif path and path != ":memory:":
            self._reads = SqliteThreads(engine.url, _sqlite_pragmas)
            self._statements = SqliteThreads(engine.url, _sqlite_pragmas, 1)

    @classmethod
    def open(cls, url: str, migrations: Sequence[Path] = ()) -> Database:
        """`migrations`: the folders of the features' (and adapters') Alembic branches, beside
        the core's own. A SQLite file's folder must exist (the command line creates only the
        default data directory): a typo in a path must not create folders."""
        try:
            parsed = make_url(url)
            kwargs: dict[str, Any] = {}
            if parsed.get_backend_name() == "sqlite":
                if parsed.database and parsed.database != ":memory:":
                    _private_file(Path(parsed.database).expanduser())
                kwargs["connect_args"] = {"timeout": 30}
                # Every write ends its own transaction and reads open none, so the pool's
                # rollback-on-return would only cost a thread hop per query.
                kwargs["pool_reset_on_return"] = None
            else:
                # A connection the server dropped (restart, idle timeout, failover) is
                # replaced on checkout instead of failing the next command.
                kwargs["pool_pre_ping"] = True
            engine = create_async_engine(parsed, **kwargs)
        except (ArgumentError, NoSuchModuleError, InvalidRequestError, ValueError) as exc:
            raise DatabaseUnavailable("bad_url", _first_line(exc)) from None
        if parsed.get_backend_name() == "sqlite":
            _tune_sqlite(engine)
        return cls(engine, migrations)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Reads]:
        """Something to run queries on, no transaction begun (a single SELECT is consistent
        by itself): on a SQLite file one thread hop per query (`SqliteThreads`), on PostgreSQL
        one round trip (`AutocommitStatements`)."""
        if self._reads is not None:
            yield self._reads
            return
        async with self.engine.connect() as conn:
            if self.is_sqlite:
                conn = await conn.execution_options(sqlite_autocommit=True)
            yield conn

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[Reads]:
        """Somewhere to run one write statement that is its own transaction (autocommit): no
        BEGIN and COMMIT round trips, and on a SQLite file one thread hop. For hot,
        self-contained writes (the replay guard's upsert, on the path of every Slack
        request); never for a read-then-write."""
        if isinstance(self._statements, AutocommitStatements):
            yield self._statements
            return
        async with self._write_lock:  # SQLite: in turn with the other writers
            if self._statements is not None:
                yield self._statements
                return
            async with self.engine.connect() as conn:
                yield await conn.execution_options(sqlite_autocommit=True)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        if not self.is_sqlite:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.connect() as conn:
            conn = await conn.execution_options(sqlite_immediate=True)
            async with conn.begin():
                yield conn

    async def transact(
        self,
        work: Callable[[AsyncConnection], Awaitable[T]],
        *,
        attempts: int = RETRIES,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> T:
        """Run `work` in a write transaction, again (whole) after a transient fault: a lost
        connection, a deadlock, a busy SQLite. `work` must be idempotent — the state changes
        of the bot are guarded by the state they leave, so a second run changes nothing."""
        for attempt in range(1, attempts + 1):
            try:
                async with self.write() as conn:
                    return await work(conn)
            except DBAPIError as err:
                if attempt == attempts or not is_transient(err):
                    raise
                delay = random.uniform(0, RETRY_BASE * 2**attempt)
                log.warning(
                    "database fault (%s), try %d of %d in %.2f s",
                    type(err.orig).__name__,
                    attempt + 1,
                    attempts,
                    delay,
                )
                await sleep(delay)
        raise AssertionError("unreachable")

    async def checkpoint(self) -> None:
        """Copy the WAL back into the database file (SQLite only; PASSIVE: never blocks
        readers or writers). Scheduled every minute by the app, and run at close."""
        if self.is_sqlite:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    async def reachable(self) -> None:
        """Connect once, or raise DatabaseUnavailable (a server not running, a name that
        does not resolve, a file that cannot be opened, a database that does not exist).

        A SQLite file is tried with the standard driver first: aiosqlite's worker thread,
        after a failed open, can outlive the event loop and print a traceback at exit."""
        path = self.engine.url.database
        if self.is_sqlite and path and path != ":memory:":
            try:
                sqlite3.connect(path, timeout=30).close()
            except sqlite3.Error as exc:
                self._unreachable = True
                raise DatabaseUnavailable("unreachable", _first_line(exc)) from None
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
        except (DBAPIError, OSError, TimeoutError) as exc:
            self._unreachable = True
            raise DatabaseUnavailable("unreachable", _first_line(exc)) from None

    async def migrate(self) -> None:
        """Apply every pending migration (all feature branches) up to their heads."""
        await self.reachable()
        async with self.write() as conn:
            await conn.run_sync(_upgrade, self.migrations)

    async def revision(self) -> list[str]:
        async with self.engine.connect() as conn:
            return await conn.run_sync(_current_heads)

    def script_heads(self) -> list[str]:
        """What `migrate` records in the database: the heads of every migration branch this
        code knows (read from the revision files once), less a head another branch depends on
        (Alembic records it through its dependents)."""
        if self._script_heads is None:
            from alembic.script import ScriptDirectory

            scripts = ScriptDirectory.from_config(_alembic_config(None, self.migrations))
            needed = {
                dependency
                for script in scripts.walk_revisions()
                for dependency in _as_tuple(script.dependencies)
            }
            self._script_heads = sorted(set(scripts.get_heads()) - needed)
        return self._script_heads

    async def ping(self) -> None:
        """One round trip; raises when the database cannot be reached."""
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")

    async def close(self) -> None:
        if not self._unreachable:
            await self.checkpoint()
        for side in (self._reads, self._statements):
            if side is not None:
                await side.close()
        await self.engine.dispose()


def is_transient(err: DBAPIError) -> bool:
    """A fault another try may not meet: the connection was lost, or the server asked us to
    retry (deadlock, serialization), or SQLite was busy."""
    if err.connection_invalidated:
        return True
    orig = err.orig
    state = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
    if state and state.startswith(_TRANSIENT_STATES):
        return True
    text = str(orig).lower()
    return "database is locked" in text or "connection" in text and "closed" in text


def redacted_url(url: str) -> str:
    """A database URL fit to print: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # unparsable: shown as nothing rather than leaked
        return "(database URL)"


def url_password(url: str) -> str | None:
    """The password in a database URL, so that logs can redact it."""
    try:
        return make_url(url).password
    except ArgumentError:
        return None


def _private_file(path: Path) -> None:
    """The database holds personal data: a new file is readable by its owner only (0600);
    SQLite gives its -wal and -shm files the database's mode. A missing folder is not made
    here (a typo in a path must not create folders): opening the file then fails."""
    if path.parent.is_dir() and not path.exists():
        try:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError:
            pass  # not writable here: opening the database says so, in the user's words


def _first_line(exc: BaseException) -> str:
    """The driver's own words, without SQLAlchemy's "(Background on this error…)" lines."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return (text[0] if text else type(orig).__name__)[:200]


async def id_set(conn: AsyncConnection, ids: Select[Any]) -> set[int]:
    """The distinct integers a one-column query returns, fetched as one string: tens of
    thousands of ids (who was active in a period) cost one row to carry instead of one each."""
    found = ids.distinct().subquery()
    column = next(iter(found.c))
    joined = select(func.aggregate_strings(cast(column, String), ","))
    text = (await conn.execute(joined)).scalar()
    return {int(i) for i in text.split(",")} if text else set()


def _alembic_config(conn: Connection | None, migrations: Sequence[Path]) -> AlembicConfig:
    """One Alembic environment; the core's versions and each feature's branch folder."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    folders = [MIGRATIONS / "versions", *migrations]
    # Alembic splits this option on the separator: paths may hold spaces, not os.pathsep.
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(str(f) for f in folders))
    cfg.attributes["connection"] = conn
    return cfg


def _upgrade(conn: Connection, migrations: Sequence[Path]) -> None:
    command.upgrade(_alembic_config(conn, migrations), "heads")


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _current_heads(conn: Connection) -> list[str]:
    from alembic.migration import MigrationContext

    return sorted(MigrationContext.configure(conn).get_current_heads())


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # No automatic checkpoint inside a user's commit (it showed as the p99 tail of RSVPs):
    # `Database.checkpoint` runs one periodically, off the request path.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _tune_sqlite(engine: AsyncEngine) -> None:
    """WAL for concurrent readers, foreign keys on, and transactions we begin ourselves
    (pysqlite's implicit BEGIN is wrong for read-then-write transactions)."""

    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get("sqlite_autocommit"):
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("sqlite_immediate") else "BEGIN")

"""Rate-limit budgets shared by every process on the database (`[cluster] pacing`).

The same GCRA buckets as `bot.pacing.Limiter`, kept in the `rate_budgets` table: one row per
bucket key with its theoretical arrival time (seconds on the wall clock, which the processes
share). A reservation is one short transaction: the rows are created if missing, locked in key
order (`FOR UPDATE`: two processes reserving the same bucket queue up rather than both taking
the slot; key order: no deadlock), read, and moved on. On SQLite the write transaction is
already exclusive. The cost is a few milliseconds per send, small beside a platform's limit of
tens of sends per second.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, String, Table, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.pacing import LocalPacer, Pacer, Rate, earliest, taken
from bot.storage.database import Database
from bot.storage.schema import metadata

rate_budgets = Table(
    "rate_budgets",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("tat", Float, nullable=False),  # theoretical arrival time of the next request
)
c = rate_budgets.c
IDLE = 60.0  # seconds a full bucket is kept before its row goes


class SharedPacer:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._insert = sqlite_insert if db.is_sqlite else pg_insert

    async def reserve(self, wants: list[tuple[str, Rate]], now: float) -> float:
        async def work(conn: AsyncConnection) -> float:
            tats = await self._locked(conn, [key for key, _ in wants])
            start = earliest(tats, wants, now)
            await self._store(conn, taken(tats, wants, start))
            return start

        return await self.db.transact(work)

    async def try_reserve(self, wants: list[tuple[str, Rate]], now: float) -> bool:
        async def work(conn: AsyncConnection) -> bool:
            tats = await self._locked(conn, [key for key, _ in wants])
            if earliest(tats, wants, now) > now:
                return False
            await self._store(conn, taken(tats, wants, now))
            return True

        return await self.db.transact(work)

    async def pause(self, key: str, until: float) -> None:
        async def work(conn: AsyncConnection) -> None:
            tats = await self._locked(conn, [key])
            await self._store(conn, {key: max(tats.get(key, until), until)})

        await self.db.transact(work)

    async def forget_idle(self, now: float) -> None:
        async def work(conn: AsyncConnection) -> None:
            await conn.execute(delete(rate_budgets).where(c.tat < now - IDLE))

        await self.db.transact(work)

    async def _locked(self, conn: AsyncConnection, keys: list[str]) -> dict[str, float]:
        """The buckets' state, their rows locked until the transaction ends. A missing row is
        created first (an empty bucket: `tat` 0), so that there is a row to lock."""
        keys = sorted(set(keys))
        await conn.execute(
            self._insert(rate_budgets)
            .values([{"key": key, "tat": 0.0} for key in keys])
            .on_conflict_do_nothing(index_elements=["key"])
        )
        query = select(c.key, c.tat).where(c.key.in_(keys)).order_by(c.key).with_for_update()
        return {row.key: row.tat for row in await conn.execute(query) if row.tat > 0}

    async def _store(self, conn: AsyncConnection, tats: dict[str, float]) -> None:
        for key, tat in sorted(tats.items()):
            await conn.execute(rate_budgets.update().where(c.key == key).values(tat=tat))


def pacer_for(mode: str, db: Database) -> Pacer:
    """`[cluster] pacing`: "auto" shares the budgets on PostgreSQL (where several processes may
    run) and keeps them in memory on SQLite (one process)."""
    shared = mode == "database" or (mode == "auto" and not db.is_sqlite)
    return SharedPacer(db) if shared else LocalPacer()

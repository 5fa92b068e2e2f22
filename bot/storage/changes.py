"""Change counters: one row per topic ("events", "agencies"), bumped in the same transaction as
every change to that topic's rows.

Several bot processes may share one database, each keeping what it derives from the data in
memory (the calendar feeds' bytes). One cheap query on these rows tells any process whether what
it holds is stale, whichever process made the change: the numbers only grow, and a transaction
that changes the data and its counter commits both or neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Column, String, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.database import Database
from bot.storage.schema import UTCDateTime, metadata

change_counters = Table(
    "change_counters",
    metadata,
    Column("topic", String(40), primary_key=True),
    Column("n", BigInteger, nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
)

_READ = select(change_counters).where(
    change_counters.c.topic.in_(bindparam("topics", expanding=True))
)


@dataclass(frozen=True, slots=True)
class Version:
    """The counters of some topics, in the order asked: equal versions, equal data.
    `changed_at` is the latest change among them (None: never changed)."""

    numbers: tuple[int, ...]
    changed_at: datetime | None


async def bump(conn: AsyncConnection, topic: str, now: datetime) -> None:
    """Count one change to `topic`, inside the caller's write transaction (one statement: the
    row is created by the first change)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(change_counters).values(topic=topic, n=1, changed_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["topic"],
        set_={"n": change_counters.c.n + 1, "changed_at": now},
    )
    await conn.execute(stmt)


class ChangeCounters:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def version(self, topics: Sequence[str]) -> Version:
        """One query for every topic asked."""
        async with self.db.read() as conn:
            rows = {r.topic: r for r in await conn.execute(_READ, {"topics": list(topics)})}
        found = [rows[t] for t in topics if t in rows]
        return Version(
            tuple(rows[t].n if t in rows else 0 for t in topics),
            max((r.changed_at for r in found), default=None),
        )

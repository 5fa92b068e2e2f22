"""Leases: claimed work has an owner and an expiry, renewed while the owner lives.

Several processes share the database. A process that claims a piece of work (a broadcast copy,
a digest run, an introduction) writes its own id and an expiry on the row; while it works, a
heartbeat (`renew`, a scheduler job) pushes the expiry back. A process killed with `kill -9`
stops renewing, its leases expire after `[cluster] lease_seconds`, and another process takes
the work over — only then, never while the owner still holds it, and checking the platform
first when a send may already have happened (bot/outbound.py, `in_doubt`).

The heartbeat renews only what this process says it holds (`holding`): work abandoned by a
failed task is not renewed forever, it expires like a dead process's.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, ColumnElement, Table, and_, or_

from bot.clock import Clock
from bot.metrics import Metrics
from bot.storage.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LeasedTable:
    """A table whose rows are leased: its key column and its two lease columns."""

    name: str
    table: Table
    key: Column  # type: ignore[type-arg]
    owner: Column  # type: ignore[type-arg]
    until: Column  # type: ignore[type-arg]


def lapsed(until: Column, now: datetime) -> ColumnElement[bool]:  # type: ignore[type-arg]
    """No lease, or one whose owner stopped renewing it."""
    return or_(until.is_(None), until < now)


class Leases:
    def __init__(
        self,
        db: Database,
        owner: str,
        clock: Clock,
        ttl: timedelta,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.owner = owner
        self.clock = clock
        self.ttl = ttl
        self.metrics = metrics
        self._tables: dict[str, LeasedTable] = {}
        self._held: dict[str, Counter[Hashable]] = {}

    def register(self, leased: LeasedTable) -> None:
        self._tables[leased.name] = leased
        self._held.setdefault(leased.name, Counter())

    def until(self, now: datetime) -> datetime:
        """The expiry of a lease taken or renewed at `now`."""
        return now + self.ttl

    def took_over(self, name: str, count: int = 1) -> None:
        """Work of an owner that stopped renewing its lease is now this process's."""
        if count:
            log.info("took over %d %s from a process that stopped", count, name)
            if self.metrics is not None:
                self.metrics.took_over(name, count)

    def mine(self, leased: LeasedTable) -> ColumnElement[bool]:
        return and_(leased.owner == self.owner, leased.until.is_not(None))

    @contextmanager
    def holding(self, name: str, keys: Iterable[Hashable]) -> Iterator[None]:
        """While inside, the heartbeat renews these rows' leases (if still ours)."""
        held = self._held[name]
        keys = list(keys)
        held.update(keys)
        try:
            yield
        finally:
            held.subtract(keys)
            for key in keys:
                if held[key] <= 0:
                    del held[key]

    def held(self, name: str) -> list[Hashable]:
        return list(self._held.get(name, ()))

    async def renew(self) -> int:
        """The heartbeat: push back the expiry of every lease this process holds."""
        now = self.clock.now()
        renewed = 0
        for name, leased in self._tables.items():
            keys = list(self._held[name])
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                statement = (
                    leased.table.update()
                    .where(leased.key.in_(chunk), self.mine(leased))
                    .values({leased.until.name: self.until(now)})
                )

                async def work(conn, statement=statement):  # type: ignore[no-untyped-def]
                    return (await conn.execute(statement)).rowcount

                renewed += await self.db.transact(work)
        return renewed

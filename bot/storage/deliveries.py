"""Platform deliveries already handled: a request signature, an event id.

A platform retries what it thinks we missed, and an attacker may replay a request they
captured. Each delivery is recorded under a key for the platform's window (Slack: 5 minutes
for a signed request, an hour for a retried event), so it is handled once, even when several
processes share the database.

Every signed Slack request is checked here before it is handled, so the check is on the path of
every ack: requests arriving together are recorded by one statement in one transaction (a group
commit) rather than one transaction each, which on SQLite would wait for each other's turn.
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, String, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from bot.storage.database import Database
from bot.storage.schema import UTCDateTime, metadata

seen_deliveries = Table(
    "seen_deliveries",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
)


@functools.cache
def _record_statement(insert: Any, again: bool = False) -> Any:
    """A key is new, or its old record has expired (then renewed): RETURNING says which.
    Executed with many rows, it is sent as one multi-row INSERT; built once per dialect (each
    row carries the batch's `now`).

    `again`: the same batch once more, after its connection died with the statement (which
    may have been applied): a record with exactly the expiry this batch writes is its own."""
    stmt = insert(seen_deliveries).values(key=bindparam("key"), expires_at=bindparam("expires_at"))
    renewable = seen_deliveries.c.expires_at <= bindparam("now", type_=UTCDateTime())
    if again:
        renewable |= seen_deliveries.c.expires_at == stmt.excluded.expires_at
    return stmt.on_conflict_do_update(
        index_elements=["key"], set_={"expires_at": stmt.excluded.expires_at}, where=renewable
    ).returning(seen_deliveries.c.key)


MAX_BATCH = 200  # keys per statement (bound parameters stay well under SQLite's limit)


@dataclass
class _Batch:
    now: datetime
    keys: dict[str, datetime] = field(default_factory=dict)  # key -> expires at
    answers: dict[str, asyncio.Future[bool]] = field(default_factory=dict)


class DeliveryLedger:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: deque[_Batch] = deque()  # the last one still takes keys
        self._flushing: asyncio.Task[None] | None = None

    async def first(self, key: str, now: datetime, ttl: timedelta) -> bool:
        """True the first time `key` is seen within `ttl`; False for a replay or a retry."""
        if not self._waiting or len(self._waiting[-1].keys) >= MAX_BATCH:
            self._waiting.append(_Batch(now))
            if self._flushing is None or self._flushing.done():
                self._flushing = asyncio.create_task(self._flush())
        batch = self._waiting[-1]
        if key in batch.keys:  # twice in one batch: the second is the replay
            return await _second(batch.answers[key])
        batch.now = max(batch.now, now)
        batch.keys[key] = now + ttl
        batch.answers[key] = asyncio.get_running_loop().create_future()
        return await asyncio.shield(batch.answers[key])

    async def _flush(self) -> None:
        """Record the waiting batches one after the other; the requests that arrive while one
        is being written make up the next."""
        await asyncio.sleep(0)  # the requests already received join the first batch
        while self._waiting:
            batch = self._waiting.popleft()
            try:
                fresh = await self._record(batch)
            except Exception as exc:  # noqa: BLE001 - each waiting request gets the error
                for answer in batch.answers.values():
                    answer.set_exception(exc)
                continue
            for key, answer in batch.answers.items():
                answer.set_result(key in fresh)

    async def _record(self, batch: _Batch) -> set[str]:
        # in key order: two processes recording the same keys lock them in the same order
        rows = [
            {"key": k, "expires_at": e, "now": batch.now} for k, e in sorted(batch.keys.items())
        ]
        insert = sqlite.insert if self.db.is_sqlite else postgresql.insert
        try:
            async with self.db.statement() as conn:  # one statement: atomic by itself
                return {row.key for row in await conn.execute(_record_statement(insert), rows)}
        except DBAPIError as err:
            if not err.connection_invalidated:
                raise
        async with self.db.statement() as conn:  # a fresh connection (the pool was invalidated)
            again = _record_statement(insert, again=True)
            return {row.key for row in await conn.execute(again, rows)}

    async def forget_expired(self, now: datetime) -> int:
        async with self.db.write() as conn:
            result = await conn.execute(
                seen_deliveries.delete().where(seen_deliveries.c.expires_at <= now)
            )
        return result.rowcount


async def _second(first: asyncio.Future[bool]) -> bool:
    await asyncio.shield(first)  # the first one's error, if any, is this one's too
    return False

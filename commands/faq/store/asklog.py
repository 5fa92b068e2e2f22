"""Asks recorded off the reply path: `faq ask` answers first and queues its bookkeeping here;
one writer task writes the queue in one transaction every `INTERVAL` seconds, or as soon as
`BATCH` asks wait.

Why: every ask used to write its own transaction before replying. On SQLite the process has one
write lock, so 100 concurrent asks queued on it (median 699 ms, while a read-only command took
9 ms). Now an ask costs the search and an append to a list.

What a crash costs: the queue is written when the bot stops (`on_stop`, also on SIGTERM), and
every read of the FAQ's activity (`faq unanswered`, `faq stats`, a click on a suggestion) writes
it first, so nothing reads stale. A hard crash (SIGKILL, power loss) loses the asks of the last
`INTERVAL` at most: counts in `faq stats` and unanswered questions of those 0.2 s, never an
answer already given. Each ask carries a random token stored under a unique index, so writing a
batch again (a retry after a failed transaction) counts each ask once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.storage.database import Database
from bot.storage.members import members
from commands.faq.store.tables import faq_asks, faq_entries

log = logging.getLogger(__name__)

INTERVAL = 0.2  # seconds between writes of the queue
BATCH = 200  # asks waiting that trigger a write at once

A, E, M = faq_asks.c, faq_entries.c, members.c


@dataclass(frozen=True, slots=True)
class AskRecord:
    """One `faq ask`, as its reply left it: `unanswered` when moderators should see it."""

    token: str
    at: datetime
    verdict: str
    entry_id: int | None
    text: str
    normalised: str
    lang: str
    member_id: int | None
    channel: str | None
    unanswered: bool


CountQuestion = Callable[..., Awaitable[None]]


class AskLog:
    def __init__(self, db: Database, count_question: CountQuestion) -> None:
        self.db = db
        self._count_question = count_question
        self._queue: list[AskRecord] = []
        self._full = asyncio.Event()
        self._writing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def note(self, record: AskRecord) -> None:
        """Queue an ask (no I/O: the reply does not wait)."""
        self._queue.append(record)
        if len(self._queue) >= BATCH:
            self._full.set()

    def waiting(self, token: str) -> AskRecord | None:
        return next((r for r in self._queue if r.token == token), None)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="faq-asks")

    async def stop(self) -> None:
        """Stop the writer and write what is queued."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._full.wait(), INTERVAL)
            except TimeoutError:
                pass
            self._full.clear()
            try:
                await self.flush()
            except Exception:  # the database away for a moment: the queue waits for the next
                log.exception("FAQ: asks not recorded yet (%d waiting)", len(self._queue))

    async def flush(self) -> int:
        """Write every queued ask in one transaction; how many were written."""
        async with self._writing:
            batch, self._queue = self._queue, []
            if not batch:
                return 0
            try:
                for attempt in range(2):
                    try:
                        return await self._write(batch)
                    except IntegrityError:  # another process created the same question
                        if attempt:
                            raise
            except BaseException:
                self._queue[:0] = batch  # kept, in order, for the next write
                raise
        return 0

    async def _write(self, batch: list[AskRecord]) -> int:
        from commands.faq.store.activity import NewQuestion

        async with self.db.write() as conn:
            tokens = [r.token for r in batch]
            done = set(
                (await conn.execute(select(A.token).where(A.token.in_(tokens)))).scalars().all()
            )
            askers = {r.member_id for r in batch if r.member_id is not None}
            alive = set((await conn.execute(select(M.id).where(M.id.in_(askers)))).scalars().all())
            # An asker erased since their ask (GDPR): their question goes with them.
            fresh = [
                r
                for r in batch
                if r.token not in done and (r.member_id is None or r.member_id in alive)
            ]
            if not fresh:
                return 0
            named = {r.entry_id for r in fresh if r.entry_id is not None}
            kept = set((await conn.execute(select(E.id).where(E.id.in_(named)))).scalars().all())
            await conn.execute(
                faq_asks.insert(),
                [
                    {
                        "asked_at": r.at,
                        "verdict": r.verdict,
                        "entry_id": r.entry_id if r.entry_id in kept else None,  # removed since
                        "passive": False,
                        "token": r.token,
                        "text": r.text,
                        "lang": r.lang,
                        "member_id": r.member_id,
                    }
                    for r in fresh
                ],
            )
            for r in fresh:
                if r.unanswered:
                    nearest = r.entry_id if r.entry_id in kept else None
                    question = NewQuestion(
                        r.normalised, r.text, r.lang, r.member_id, r.channel, nearest
                    )
                    await self._count_question(conn, question, r.at)
        return len(fresh)

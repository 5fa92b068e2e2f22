"""Asks recorded off the reply path: `faq ask` answers first and queues its bookkeeping here;
one writer task writes the queue in one transaction every `INTERVAL` seconds, or as soon as
`BATCH` asks wait.

Why: every ask used to write its own transaction before replying. On SQLite the process has one
write lock, so 100 concurrent asks queued on it (median 699 ms, while a read-only command took
9 ms). Now an ask costs the search, an append to a list and one line in a journal file.

What a crash costs: nothing once the bot has started. Each queued ask is also a line of this
process's journal (`askjournal`), dropped once its batch is in the database; a start writes
the asks a dead process left there. The queue is written when the bot stops (`on_stop`, also on
SIGTERM), and every read of the FAQ's activity (`faq unanswered`, `faq stats`) writes it
first, so nothing reads stale; a click on an ask's buttons finds the ask in the queue, in the
batch being written, or in the database. Each ask carries a random token stored
under a unique index, so an ask written twice (a retry after a failed transaction, a journal
replayed after its batch was written) counts once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.storage.database import Database
from bot.storage.members import members
from commands.faq.store.askjournal import AskJournal, journal_dir
from commands.faq.store.tables import faq_asks, faq_entries

log = logging.getLogger(__name__)

INTERVAL = 0.2  # seconds between writes of the queue
BATCH = 200  # asks waiting that trigger a write at once
RECOVERED_BATCH = 500  # asks of a dead process's journal written per transaction

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
        self._in_flight: list[AskRecord] = []  # the batch being written, not yet committed
        self._full = asyncio.Event()
        self._writing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._journal: AskJournal | None = None  # opened by `start`
        self._closed_segments: list[Path] = []  # journal files of asks not yet in the database

    def note(self, record: AskRecord) -> None:
        """Queue an ask; no I/O but one line appended to the journal (the reply waits on no
        disk flush, no lock)."""
        if self._journal is not None:
            try:
                self._journal.append(asdict(record))
            except OSError:  # a full disk: the ask is still queued, only a crash would lose it
                log.exception("FAQ: ask not journaled")
        self._queue.append(record)
        if len(self._queue) >= BATCH:
            self._full.set()

    def waiting(self, token: str) -> AskRecord | None:
        """The ask of `token` if it is not in the database yet: queued, or in the batch being
        written (a click on its buttons must find it while its transaction runs)."""
        return next((r for r in (*self._in_flight, *self._queue) if r.token == token), None)

    async def start(self) -> int:
        """Open this process's journal, write the asks dead processes left in theirs (how
        many), and start the writer."""
        directory = journal_dir(self.db.engine.url)
        if directory is not None and self._journal is None:
            try:
                self._journal = AskJournal(directory)
            except OSError as exc:  # a read-only disk: the bot answers all the same
                log.warning(
                    "FAQ: no ask journal in %s (%s): a crash may lose recent asks", directory, exc
                )
        recovered = await self._recover() if self._journal is not None else 0
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="faq-asks")
        return recovered

    async def stop(self) -> None:
        """Stop the writer and write what is queued (the journal keeps it if that fails)."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        try:
            await self.flush()
        finally:
            if self._journal is not None:
                self._journal.close()
                self._journal = None

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
            if self._journal is not None:  # later asks go to a new segment
                self._closed_segments.append(self._journal.rotate())
            self._in_flight = batch
            try:
                written = await self._write_retrying(batch)
            except BaseException:
                self._queue[:0] = batch  # kept, in order, for the next write
                raise
            finally:
                self._in_flight = []
            AskJournal.drop(self._closed_segments)  # every ask they hold is written now
            self._closed_segments = []
            return written

    async def _recover(self) -> int:
        assert self._journal is not None
        total = 0
        for lines, files in self._journal.orphans():
            records = [r for fields in lines if (r := _record(fields)) is not None]
            for i in range(0, len(records), RECOVERED_BATCH):
                total += await self._write_retrying(records[i : i + RECOVERED_BATCH])
            AskJournal.drop(files)
        if total:
            log.info("FAQ: %d asks written from the journal of a process that stopped", total)
        return total

    async def _write_retrying(self, batch: list[AskRecord]) -> int:
        try:
            return await self._write(batch)
        except IntegrityError:  # another process created the same question: once more
            return await self._write(batch)

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


def _record(fields: dict[str, Any]) -> AskRecord | None:
    """An ask read back from a journal (None: a line another version wrote, or garbled)."""
    try:
        return AskRecord(**{**fields, "at": datetime.fromisoformat(fields["at"])})
    except (KeyError, TypeError, ValueError):
        log.warning("FAQ: a journaled ask could not be read, skipped")
        return None

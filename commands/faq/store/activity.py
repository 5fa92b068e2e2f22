"""What happens around the FAQ: questions asked, those it could not answer, feedback, and the
channel messages answered in passive mode.

The ask path writes one short transaction (the ask, and the unanswered question when there is
one); everything else here serves moderators (`faq unanswered`, `faq stats`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from bot.storage.database import Database
from bot.storage.ids import fresh_id
from commands.faq.store.asklog import AskLog
from commands.faq.store.phrasings import FaqPhrasings
from commands.faq.store.tables import (
    faq_answered_messages,
    faq_asks,
    faq_entries,
    faq_feedback,
    faq_passive_channels,
    faq_unanswered,
    faq_unanswered_askers,
)

T = TypeVar("T")
A, U, F, P = faq_asks.c, faq_unanswered.c, faq_feedback.c, faq_passive_channels.c

_RECORD_ASK = faq_asks.insert().values(
    asked_at=bindparam("at"),
    verdict=bindparam("verdict"),
    entry_id=bindparam("entry_id"),
    passive=bindparam("passive"),
)
_BUMP = (
    faq_unanswered.update()
    .where(U.normalised == bindparam("b_normalised"))
    .values(
        count=U.count + 1,
        last_asked_at=bindparam("b_at"),
        nearest_entry_id=func.coalesce(bindparam("b_nearest"), U.nearest_entry_id),
        unhelpful=U.unhelpful + bindparam("b_unhelpful"),
    )
)
_VERDICTS = (
    select(A.verdict, func.count().label("n"))
    .where(A.asked_at >= bindparam("since"))
    .group_by(A.verdict)
)
_VOTES = (
    select(
        F.entry_id,
        faq_entries.c.question,
        func.sum(case((F.helpful, 1), else_=0)).label("yes"),
        func.sum(case((F.helpful, 0), else_=1)).label("no"),
    )
    .join(faq_entries, faq_entries.c.id == F.entry_id)
    .group_by(F.entry_id, faq_entries.c.question)
    .order_by(func.count().desc(), F.entry_id)
    .limit(bindparam("limit"))
)
_ASKERS = (
    select(func.count())
    .where(faq_unanswered_askers.c.question_id == U.id)
    .scalar_subquery()
    .label("askers")
)
_UNANSWERED = (
    select(faq_unanswered, _ASKERS)
    .order_by(U.count.desc(), U.last_asked_at.desc(), U.id)
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
)
_UNANSWERED_COUNT = select(func.count()).select_from(faq_unanswered)


@dataclass(frozen=True, slots=True)
class Unanswered:
    id: int
    text: str
    lang: str
    count: int
    first_asked_at: datetime
    last_asked_at: datetime
    channel: str | None
    askers: int  # distinct people who asked it
    nearest_entry_id: int | None = None  # the entry the FAQ suggested for it
    unhelpful: int = 0  # askers who marked the FAQ's answer to it "not helpful"


@dataclass(frozen=True, slots=True)
class Votes:
    entry_id: int
    question: str
    helpful: int
    unhelpful: int


@dataclass(frozen=True, slots=True)
class AskCounts:
    answered: int = 0
    suggested: int = 0
    unknown: int = 0

    @property
    def total(self) -> int:
        return self.answered + self.suggested + self.unknown


@dataclass(frozen=True, slots=True)
class NewQuestion:
    """A question the bot could not answer, as it will be listed for moderators."""

    normalised: str
    text: str
    lang: str
    member_id: int | None
    channel: str | None
    nearest_entry_id: int | None = None
    unhelpful: bool = False  # its asker marked the FAQ's answer "not helpful"


class FaqActivity:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.asks = AskLog(db, _count_question)  # `faq ask`'s bookkeeping, written in batches
        self.phrasings = FaqPhrasings(db)  # the learning loop's pending variants

    async def asked(self, token: str) -> tuple[str, str] | None:
        """(text, language) of the `faq ask` whose buttons carry `token` (None: unknown)."""
        waiting = self.asks.waiting(token)
        if waiting is not None:
            return waiting.text, waiting.lang
        async with self.db.read() as conn:
            row = (await conn.execute(select(A.text, A.lang).where(A.token == token))).first()
        return (row.text, row.lang) if row is not None and row.text else None

    async def record_ask(
        self,
        verdict: str,
        entry_id: int | None,
        now: datetime,
        *,
        unanswered: NewQuestion | None = None,
    ) -> None:
        """Count an ask; an unanswered question is added, or its count bumped, in the same
        transaction. Two processes adding the same new question at once: the loser of the
        unique constraint retries, and bumps."""
        ask = {"at": now, "verdict": verdict, "entry_id": entry_id, "passive": False}

        async def record(conn: Any) -> None:
            await conn.execute(_RECORD_ASK, ask)
            if unanswered is not None:
                await _count_question(conn, unanswered, now)

        await _retrying(self.db, record)

    async def add_unanswered(self, question: NewQuestion, now: datetime) -> bool:
        """A question whose answer did not help (`faq.feedback` "no") joins the unanswered
        ones, its member among its askers. False, and nothing counted, when that member is
        already waiting for an answer to it: a second click is not a second question."""
        await self.asks.flush()  # the ask's own row, if it was unanswered, is written first
        already = (
            select(U.id)
            .join(faq_unanswered_askers, faq_unanswered_askers.c.question_id == U.id)
            .where(
                U.normalised == question.normalised,
                faq_unanswered_askers.c.member_id == question.member_id,
            )
        )

        async def add(conn: Any) -> bool:
            if await conn.scalar(already) is not None:
                return False
            await _count_question(conn, question, now)
            return True

        return await _retrying(self.db, add)

    async def unanswered(self, offset: int = 0, limit: int = 10) -> tuple[list[Unanswered], int]:
        """Most frequent first, then most recent; and how many there are in all."""
        await self.asks.flush()
        async with self.db.read() as conn:
            rows = (await conn.execute(_UNANSWERED, {"offset": offset, "limit": limit})).all()
            total = (await conn.execute(_UNANSWERED_COUNT)).scalar_one()
        return [_unanswered(r) for r in rows], int(total)

    async def queue(self, limit: int) -> tuple[list[Unanswered], dict[int, set[int]]]:
        """The `limit` most asked unanswered questions, and who asked each (to count the
        distinct people behind a group of them)."""
        found, _ = await self.unanswered(0, limit)
        ids = [q.id for q in found]
        askers: dict[int, set[int]] = {i: set() for i in ids}
        query = select(faq_unanswered_askers).where(faq_unanswered_askers.c.question_id.in_(ids))
        async with self.db.read() as conn:
            for row in await conn.execute(query):
                askers[row.question_id].add(row.member_id)
        return found, askers

    async def unanswered_count(self) -> int:
        await self.asks.flush()
        async with self.db.read() as conn:
            return int((await conn.execute(_UNANSWERED_COUNT)).scalar_one())

    async def waiting_for(self, member_id: int, limit: int = 5) -> list[Unanswered]:
        """The questions a member asked that have no answer yet, most recent first."""
        await self.asks.flush()
        asked = select(faq_unanswered_askers.c.question_id).where(
            faq_unanswered_askers.c.member_id == member_id
        )
        query = (
            select(faq_unanswered, _ASKERS)
            .where(U.id.in_(asked))
            .order_by(U.last_asked_at.desc(), U.id.desc())
            .limit(limit)
        )
        async with self.db.read() as conn:
            return [_unanswered(r) for r in await conn.execute(query)]

    async def get_unanswered(self, question_id: int) -> Unanswered | None:
        await self.asks.flush()
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(faq_unanswered, _ASKERS).where(U.id == question_id))
            ).first()
        return _unanswered(row) if row else None

    async def drop_unanswered(self, question_id: int) -> bool:
        async with self.db.write() as conn:
            result = await conn.execute(faq_unanswered.delete().where(U.id == question_id))
        return bool(result.rowcount)

    async def take_answered(self, question_id: int) -> list[int]:
        """An unanswered question has an answer now: it goes, and the members who asked it
        are returned, once (a second editor answering it at the same time gets nobody)."""
        async with self.db.write() as conn:
            return await _take(conn, U.id == question_id)

    async def take_answered_text(self, normalised: str) -> tuple[Unanswered | None, list[int]]:
        """The same for the question asked in these words (a member's phrasing became a
        variant): the question, if there was one, and who asked it."""
        await self.asks.flush()
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    select(faq_unanswered, _ASKERS).where(U.normalised == normalised)
                )
            ).first()
            if row is None:
                return None, []
            return _unanswered(row), await _take(conn, U.id == row.id)

    async def give_feedback(
        self, entry_id: int, member_id: int, helpful: bool, now: datetime
    ) -> bool:
        """One vote per member and entry (a second click changes it); False if the entry is
        gone."""

        async def vote(conn: Any) -> bool:
            exists = await conn.scalar(select(faq_entries.c.id).where(faq_entries.c.id == entry_id))
            if exists is None:
                return False
            mine = (F.entry_id == entry_id, F.member_id == member_id)
            values = {"helpful": helpful, "given_at": now}
            result = await conn.execute(faq_feedback.update().where(*mine).values(values))
            if not result.rowcount:
                await conn.execute(
                    faq_feedback.insert().values(entry_id=entry_id, member_id=member_id, **values)
                )
            return True

        return await _retrying(self.db, vote)

    async def claim_message(
        self, channel: str, message_id: str, entry_id: int, now: datetime
    ) -> bool:
        """True once per channel message: whoever claims it first answers it (and the answer
        is counted, in the same transaction, as a passive ask)."""
        ask = {"at": now, "verdict": "answer", "entry_id": entry_id, "passive": True}
        try:
            async with self.db.write() as conn:
                await conn.execute(
                    faq_answered_messages.insert().values(
                        channel=channel, message_id=message_id, entry_id=entry_id, answered_at=now
                    )
                )
                await conn.execute(_RECORD_ASK, ask)
        except IntegrityError:
            return False
        return True

    async def asks_since(self, since: datetime) -> AskCounts:
        await self.asks.flush()
        async with self.db.read() as conn:
            found = (await conn.execute(_VERDICTS, {"since": since})).all()
        rows = {verdict: n for verdict, n in found}
        return AskCounts(rows.get("answer", 0), rows.get("suggest", 0), rows.get("unknown", 0))

    async def votes(self, limit: int = 10) -> list[Votes]:
        """Entries with the most feedback first."""
        async with self.db.read() as conn:
            rows = (await conn.execute(_VOTES, {"limit": limit})).all()
        return [Votes(r.entry_id, r.question, int(r.yes), int(r.no)) for r in rows]


async def _retrying(db: Database, work: Callable[[Any], Awaitable[T]]) -> T:
    """`work` in one write transaction, run once more if it lost a race on a unique constraint
    to another process (two first asks of one question, two first votes): the second run
    sees the winner's row and updates it."""
    for attempt in range(2):
        try:
            async with db.write() as conn:
                return await work(conn)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


async def _count_question(conn: Any, question: NewQuestion, now: datetime) -> None:
    bumped = await conn.execute(
        _BUMP,
        {
            "b_normalised": question.normalised,
            "b_at": now,
            "b_nearest": question.nearest_entry_id,
            "b_unhelpful": int(question.unhelpful),
        },
    )
    if not bumped.rowcount:
        fresh = await fresh_id(conn, faq_unanswered)  # SQLite: never a dismissed one's number
        await conn.execute(
            faq_unanswered.insert().values(
                **({} if fresh is None else {"id": fresh}),
                normalised=question.normalised,
                text=question.text,
                lang=question.lang,
                count=1,
                first_asked_at=now,
                last_asked_at=now,
                first_asker_id=question.member_id,
                channel=question.channel,
                nearest_entry_id=question.nearest_entry_id,
                unhelpful=int(question.unhelpful),
            )
        )
    if question.member_id is None:
        return
    question_id = await conn.scalar(select(U.id).where(U.normalised == question.normalised))
    insert = (sqlite_insert if conn.dialect.name == "sqlite" else pg_insert)(faq_unanswered_askers)
    await conn.execute(
        insert.values(
            question_id=question_id, member_id=question.member_id
        ).on_conflict_do_nothing()
    )


def _unanswered(row: Any) -> Unanswered:
    return Unanswered(
        row.id,
        row.text,
        row.lang,
        row.count,
        row.first_asked_at,
        row.last_asked_at,
        row.channel,
        row.askers,
        row.nearest_entry_id,
        row.unhelpful,
    )


async def _take(conn: Any, which: Any) -> list[int]:
    """Delete the unanswered question `which` selects; who asked it (none if already gone)."""
    asked = select(faq_unanswered_askers.c.member_id).join(
        faq_unanswered, faq_unanswered_askers.c.question_id == U.id
    )
    members = sorted((await conn.execute(asked.where(which))).scalars().all())
    result = await conn.execute(faq_unanswered.delete().where(which))
    return members if result.rowcount else []

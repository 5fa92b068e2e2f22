"""Read-only figures on the FAQ, for the dashboard and `faq stats`: what was asked over a period
and how the FAQ answered, unanswered questions per channel, the queue by distinct askers,
helpful rates, and each entry's answer and helpful rates per month.

The ask log names nobody and no channel (`faq_asks`): its verdicts are counted for the whole
federation. An unanswered question keeps the channel it was first asked in, which places it
in an agency.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, case, func, literal, select, union_all

from bot.storage.database import Database, id_set
from bot.storage.schema import UTCDateTime
from commands.faq.store.activity import _ASKERS, Unanswered, _unanswered
from commands.faq.store.tables import (
    faq_asks,
    faq_feedback,
    faq_unanswered,
)

A, U, F = faq_asks.c, faq_unanswered.c, faq_feedback.c


@dataclass(frozen=True, slots=True)
class ChannelQuestions:
    channel: str | None  # platform:workspace:channel, None when unknown
    questions: int
    asks: int


@dataclass(frozen=True, slots=True)
class Helpfulness:
    entry_id: int
    helpful: int
    unhelpful: int

    @property
    def rate(self) -> float | None:
        votes = self.helpful + self.unhelpful
        return self.helpful / votes if votes else None


class FaqReports:
    def __init__(self, db: Database, written: Callable[[], Awaitable[object]] | None = None):
        self.db = db
        # Writes the asks still queued (store/asklog.py), so that a report counts them.
        self._written = written

    async def _flush(self) -> None:
        if self._written is not None:
            await self._written()

    async def verdicts(self, edges: Sequence[datetime]) -> list[dict[str, int]]:
        """How the FAQ answered (answer, suggest, unknown: counts) in each interval between
        consecutive `edges` (weeks, months), counted by the database."""
        await self._flush()
        if len(edges) < 2:
            return []
        # The intervals as a table joined on the asks: one range scan of the asked_at index
        # per interval (a CASE with a branch per week tested every ask against every edge).
        spans = union_all(
            *(
                select(
                    literal(i, Integer).label("bucket"),
                    literal(lo, UTCDateTime()).label("lo"),
                    literal(hi, UTCDateTime()).label("hi"),
                )
                for i, (lo, hi) in enumerate(itertools.pairwise(edges))
            )
        ).subquery("spans")
        within = spans.join(faq_asks, (A.asked_at >= spans.c.lo) & (A.asked_at < spans.c.hi))
        query = (
            select(spans.c.bucket, A.verdict, func.count().label("n"))
            .select_from(within)
            .group_by(spans.c.bucket, A.verdict)
        )
        found: list[dict[str, int]] = [{} for _ in edges[1:]]
        async with self.db.read() as conn:
            for r in await conn.execute(query):
                found[r.bucket][r.verdict] = r.n
        return found

    async def unanswered_by_channel(
        self, since: datetime, until: datetime
    ) -> list[ChannelQuestions]:
        """Questions first asked in the period that the FAQ could not answer, per channel."""
        await self._flush()
        query = (
            select(U.channel, func.count().label("questions"), func.sum(U.count).label("asks"))
            .where(U.first_asked_at >= since, U.first_asked_at < until)
            .group_by(U.channel)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [ChannelQuestions(r.channel, r.questions, int(r.asks or 0)) for r in rows]

    async def queue(self, offset: int, limit: int) -> tuple[list[Unanswered], int]:
        """The unanswered queue, most distinct askers first (one person repeating a question
        does not make it the community's), then most asked, then most recent."""
        await self._flush()
        query = (
            select(faq_unanswered, _ASKERS)
            .order_by(_ASKERS.desc(), U.count.desc(), U.last_asked_at.desc(), U.id)
            .offset(offset)
            .limit(limit)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
            total = (await conn.execute(select(func.count()).select_from(faq_unanswered))).scalar()
        return [_unanswered(r) for r in rows], int(total or 0)

    async def helpfulness(self) -> dict[int, Helpfulness]:
        """Every entry's "helpful?" votes."""
        query = select(
            F.entry_id,
            func.sum(case((F.helpful, 1), else_=0)).label("yes"),
            func.sum(case((F.helpful, 0), else_=1)).label("no"),
        ).group_by(F.entry_id)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return {r.entry_id: Helpfulness(r.entry_id, int(r.yes), int(r.no)) for r in rows}

    async def voting_members(self, since: datetime, until: datetime) -> set[int]:
        """Members who said whether an answer helped, in the period."""
        query = select(F.member_id).where(F.given_at >= since, F.given_at < until)
        async with self.db.read() as conn:
            return await id_set(conn, query)


@dataclass(frozen=True, slots=True)
class EntryPeriod:
    """One entry over one period: how often it was the FAQ's best entry for a question, how
    often with confidence, and its "helpful?" votes given in the period."""

    answered: int = 0
    suggested: int = 0
    helpful: int = 0
    unhelpful: int = 0

    @property
    def asks(self) -> int:
        return self.answered + self.suggested

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.asks if self.asks else None

    @property
    def helpful_rate(self) -> float | None:
        votes = self.helpful + self.unhelpful
        return self.helpful / votes if votes else None


def _bucket(column: Any, edges: Sequence[datetime]) -> Any:
    """The index of the interval between consecutive `edges` that `column` falls in."""
    return case(*((column < edge, i) for i, edge in enumerate(edges[1:])), else_=len(edges)).label(
        "bucket"
    )


async def entry_periods(db: Database, edges: Sequence[datetime]) -> dict[int, list[EntryPeriod]]:
    """Per entry, its figures in each interval between consecutive `edges` (months for
    `faq stats`), counted by the database."""
    if len(edges) < 2:
        return {}
    asked, given = _bucket(A.asked_at, edges), _bucket(F.given_at, edges)
    asks = (
        select(asked, A.entry_id, A.verdict, func.count().label("n"))
        .where(A.asked_at >= edges[0], A.asked_at < edges[-1], A.entry_id.is_not(None))
        .group_by(asked, A.entry_id, A.verdict)
    )
    votes = (
        select(given, F.entry_id, F.helpful, func.count().label("n"))
        .where(F.given_at >= edges[0], F.given_at < edges[-1])
        .group_by(given, F.entry_id, F.helpful)
    )
    counts: dict[int, list[dict[str, int]]] = {}

    def cell(entry_id: int, bucket: int) -> dict[str, int]:
        return counts.setdefault(entry_id, [{} for _ in edges[1:]])[bucket]

    async with db.read() as conn:
        for r in await conn.execute(asks):
            key = "answered" if r.verdict == "answer" else "suggested"
            cell(r.entry_id, r.bucket)[key] = cell(r.entry_id, r.bucket).get(key, 0) + r.n
        for r in await conn.execute(votes):
            cell(r.entry_id, r.bucket)["helpful" if r.helpful else "unhelpful"] = r.n
    return {e: [EntryPeriod(**c) for c in cells] for e, cells in counts.items()}

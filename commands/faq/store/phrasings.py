"""Members' phrasings proposed as variants of FAQ entries (the learning loop), and who backed
each: written when a member picks a suggestion or marks an answer helpful, listed in
`faq unanswered`, accepted or rejected there by a FAQ editor (or accepted once
`[faq] auto_accept_after` distinct people backed one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from bot.storage.database import Database
from commands.faq.store.tables import faq_entries, faq_phrasing_votes, faq_phrasings

P, V = faq_phrasings.c, faq_phrasing_votes.c

_SUPPORTERS = (
    select(func.count()).where(V.phrasing_id == P.id).scalar_subquery().label("supporters")
)
_PENDING = select(faq_phrasings, _SUPPORTERS)


@dataclass(frozen=True, slots=True)
class Phrasing:
    id: int
    entry_id: int
    text: str
    lang: str
    supporters: int  # distinct people who backed it
    last_at: datetime


class FaqPhrasings:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def propose(
        self,
        entry_id: int,
        text: str,
        normalised: str,
        lang: str,
        member_id: int,
        now: datetime,
    ) -> Phrasing | None:
        """`member_id` backs `text` as a variant of entry `entry_id` (once per person; the
        same words again are the same phrasing). None when the entry is gone."""
        for attempt in range(2):
            try:
                return await self._propose(entry_id, text, normalised, lang, member_id, now)
            except IntegrityError:  # two first proposals of one phrasing at once
                if attempt:
                    raise
        return None

    async def _propose(
        self,
        entry_id: int,
        text: str,
        normalised: str,
        lang: str,
        member_id: int,
        now: datetime,
    ) -> Phrasing | None:
        async with self.db.write() as conn:
            entry = await conn.scalar(select(faq_entries.c.id).where(faq_entries.c.id == entry_id))
            if entry is None:
                return None
            mine = (P.entry_id == entry_id, P.normalised == normalised)
            phrasing_id = await conn.scalar(select(P.id).where(*mine))
            if phrasing_id is None:
                result = await conn.execute(
                    faq_phrasings.insert().values(
                        entry_id=entry_id,
                        normalised=normalised,
                        text=text,
                        lang=lang,
                        first_at=now,
                        last_at=now,
                    )
                )
                phrasing_id = int(result.inserted_primary_key[0])
            else:
                await conn.execute(
                    faq_phrasings.update().where(P.id == phrasing_id).values(last_at=now)
                )
            insert = (sqlite_insert if conn.dialect.name == "sqlite" else pg_insert)(
                faq_phrasing_votes
            )
            await conn.execute(
                insert.values(phrasing_id=phrasing_id, member_id=member_id).on_conflict_do_nothing()
            )
            row = (await conn.execute(_PENDING.where(P.id == phrasing_id))).one()
        return _phrasing(row)

    async def pending(self, limit: int = 5) -> tuple[list[Phrasing], int]:
        """Most backed first, then most recent; and how many wait in all."""
        query = _PENDING.order_by(_SUPPORTERS.desc(), P.last_at.desc(), P.id).limit(limit)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
            total = await conn.scalar(select(func.count()).select_from(faq_phrasings))
        return [_phrasing(r) for r in rows], int(total or 0)

    async def get(self, phrasing_id: int) -> Phrasing | None:
        async with self.db.read() as conn:
            row = (await conn.execute(_PENDING.where(P.id == phrasing_id))).first()
        return _phrasing(row) if row is not None else None

    async def voters(self, phrasing_id: int) -> set[int]:
        """The members who backed a phrasing (they have seen its entry's answer already)."""
        query = select(V.member_id).where(V.phrasing_id == phrasing_id)
        async with self.db.read() as conn:
            return set((await conn.execute(query)).scalars().all())

    async def withdraw(self, entry_id: int, normalised: str, member_id: int) -> bool:
        """`member_id` no longer backs these words for entry `entry_id` (its answer did not
        help them after all); a phrasing nobody backs any more goes. Whether there was a vote."""
        async with self.db.write() as conn:
            mine = (P.entry_id == entry_id, P.normalised == normalised)
            phrasing_id = await conn.scalar(select(P.id).where(*mine))
            if phrasing_id is None:
                return False
            result = await conn.execute(
                faq_phrasing_votes.delete().where(
                    V.phrasing_id == phrasing_id, V.member_id == member_id
                )
            )
            left = await conn.scalar(select(func.count()).where(V.phrasing_id == phrasing_id))
            if not left:
                await conn.execute(faq_phrasings.delete().where(P.id == phrasing_id))
        return bool(result.rowcount)

    async def drop(self, phrasing_id: int) -> bool:
        async with self.db.write() as conn:
            result = await conn.execute(faq_phrasings.delete().where(P.id == phrasing_id))
        return bool(result.rowcount)

    async def of_member(self, member_id: int) -> list[dict[str, Any]]:
        """The phrasings a member backed (their data export)."""
        query = (
            select(P.entry_id, P.text, P.first_at)
            .join(faq_phrasing_votes, V.phrasing_id == P.id)
            .where(V.member_id == member_id)
            .order_by(P.id)
        )
        async with self.db.read() as conn:
            return [dict(r._mapping) for r in await conn.execute(query)]


def _phrasing(row: Any) -> Phrasing:
    return Phrasing(row.id, row.entry_id, row.text, row.lang, int(row.supporters), row.last_at)

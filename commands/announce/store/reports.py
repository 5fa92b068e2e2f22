"""Read-only figures on announcements, for the dashboard: reach and acknowledgements per
agency over a period, and every copy of one announcement for its live status.

An announcement counts in the period it was confirmed in. An agency was reached when at least
one of its channels received the copy (`sent_at` set, even if withdrawn since), and it
acknowledged when someone clicked "Bien reçu" in one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select

from bot.storage.database import Database, id_set
from commands.announce.store.announcements import announcement_acks, announcements
from commands.announce.store.outbox_rows import FAILED, Delivery, deliveries, delivery_of

A, D, K = announcements.c, deliveries.c, announcement_acks.c


@dataclass(frozen=True, slots=True)
class AgencyReach:
    agency_id: int
    addressed: int  # announcements sent to at least one of its channels
    reached: int  # … that at least one of its channels received
    failed: int  # … that failed in one of its channels
    acknowledged: int  # … that someone of the agency acknowledged


class AnnounceReports:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def reach_by_agency(self, since: datetime, until: datetime) -> list[AgencyReach]:
        confirmed = select(A.id).where(A.confirmed_at >= since, A.confirmed_at < until)
        sent = select(
            D.agency_id,
            func.count(distinct(D.announcement_id)).label("addressed"),
            func.count(distinct(D.announcement_id)).filter(D.sent_at.is_not(None)).label("reached"),
            func.count(distinct(D.announcement_id)).filter(D.state == FAILED).label("failed"),
        ).where(D.announcement_id.in_(confirmed), D.agency_id.is_not(None))
        acked = select(K.agency_id, func.count().label("n")).where(K.announcement_id.in_(confirmed))
        async with self.db.read() as conn:
            rows = (await conn.execute(sent.group_by(D.agency_id))).all()
            acks = {a: n for a, n in await conn.execute(acked.group_by(K.agency_id))}
        return [
            AgencyReach(r.agency_id, r.addressed, r.reached, r.failed, acks.get(r.agency_id, 0))
            for r in rows
        ]

    async def acking_members(self, since: datetime, until: datetime) -> set[int]:
        """Members who acknowledged an announcement in the period."""
        query = select(K.member_id).where(K.acked_at >= since, K.acked_at < until)
        async with self.db.read() as conn:
            return await id_set(conn, query)

    async def copies(self, announcement_id: int) -> list[Delivery]:
        """Every copy of an announcement, by agency then channel (its live status)."""
        query = (
            select(deliveries)
            .where(D.announcement_id == announcement_id)
            .order_by(D.agency_name, D.platform, D.channel_id, D.id)
        )
        async with self.db.read() as conn:
            return [delivery_of(r) for r in await conn.execute(query)]

    async def acked_agencies(self, announcement_id: int) -> set[int]:
        query = select(K.agency_id).where(K.announcement_id == announcement_id)
        async with self.db.read() as conn:
            return await id_set(conn, query)

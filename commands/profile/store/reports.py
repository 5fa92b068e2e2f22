"""Read-only figures on profiles, for the dashboard: which agency each member says they work
for (their profile's), which is how figures about people are counted per agency."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.storage.database import Database
from commands.profile.store.tables import profiles

P = profiles.c


class ProfileReports:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def member_agencies(self) -> dict[int, int]:
        """member id -> agency id, for every profile that names an agency."""
        query = select(P.member_id, P.agency_id).where(P.agency_id.is_not(None))
        async with self.db.read() as conn:
            return {key: value for key, value in await conn.execute(query)}

    async def members_per_agency(self) -> dict[int | None, int]:
        """Profiles per agency (None: profiles naming no agency)."""
        query = select(P.agency_id, func.count()).group_by(P.agency_id)
        async with self.db.read() as conn:
            return {key: value for key, value in await conn.execute(query)}

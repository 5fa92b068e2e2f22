"""Read-only figures on profiles, for the dashboard: which agency each member says they work
for (their profile's), which is how figures about people are counted per agency.

The member -> agency map is read once and kept while the table's fingerprint (row count and
sum of revisions, as for matching's snapshot) stays the same: every page of the overview needs
it, and it changes far less often than pages are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sqlalchemy import func, select

from bot.storage.database import Database
from commands.profile.store.snapshot import _FINGERPRINT
from commands.profile.store.tables import profiles

P = profiles.c
_AGENCIES = select(P.member_id, P.agency_id).where(P.agency_id.is_not(None))


class ProfileReports:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._agencies: tuple[tuple[Any, ...], Mapping[int, int]] | None = None

    async def member_agencies(self) -> Mapping[int, int]:
        """member id -> agency id, for every profile that names an agency."""
        async with self.db.read() as conn:
            fingerprint = tuple((await conn.execute(_FINGERPRINT)).one())
            if self._agencies is None or self._agencies[0] != fingerprint:
                found = MappingProxyType(dict((await conn.execute(_AGENCIES)).all()))  # type: ignore[arg-type]
                self._agencies = (fingerprint, found)
        return self._agencies[1]

    async def members_per_agency(self) -> dict[int | None, int]:
        """Profiles per agency (None: profiles naming no agency)."""
        query = select(P.agency_id, func.count()).group_by(P.agency_id)
        async with self.db.read() as conn:
            return dict((await conn.execute(query)).all())  # type: ignore[arg-type]

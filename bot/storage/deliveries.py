"""Platform deliveries already handled: a request signature, an event id.

A platform retries what it thinks we missed, and an attacker may replay a request they
captured. Each delivery is recorded under a key for the platform's window (Slack: 5 minutes
for a signed request, an hour for a retried event), so it is handled once, even when several
processes share the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Column, String, Table
from sqlalchemy.exc import IntegrityError

from bot.storage.database import Database
from bot.storage.schema import UTCDateTime, metadata

seen_deliveries = Table(
    "seen_deliveries",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
)


class DeliveryLedger:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def first(self, key: str, now: datetime, ttl: timedelta) -> bool:
        """True the first time `key` is seen within `ttl`; False for a replay or a retry."""
        c = seen_deliveries.c
        try:
            async with self.db.write() as conn:
                await conn.execute(
                    seen_deliveries.delete().where(c.key == key, c.expires_at <= now)
                )
                await conn.execute(seen_deliveries.insert().values(key=key, expires_at=now + ttl))
        except IntegrityError:
            return False
        return True

    async def forget_expired(self, now: datetime) -> int:
        async with self.db.write() as conn:
            result = await conn.execute(
                seen_deliveries.delete().where(seen_deliveries.c.expires_at <= now)
            )
        return result.rowcount

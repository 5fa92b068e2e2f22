"""Keys the bot makes for itself (the button-signing key), created once and shared by every
process on the database."""

from __future__ import annotations

import secrets

from sqlalchemy import Column, String, Table, select
from sqlalchemy.exc import IntegrityError

from bot.storage.database import Database
from bot.storage.schema import metadata

bot_keys = Table(
    "bot_keys",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(128), nullable=False),
)


class KeyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_or_create(self, name: str) -> bytes:
        """The key named `name`; the first process to ask creates it, the others read it."""
        found = await self._read(name)
        if found is not None:
            return found
        try:
            async with self.db.write() as conn:
                await conn.execute(bot_keys.insert().values(name=name, value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another process created it first
        found = await self._read(name)
        assert found is not None
        return found

    async def _read(self, name: str) -> bytes | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(bot_keys.c.value).where(bot_keys.c.name == name))
            ).first()
        return bytes.fromhex(row.value) if row else None

"""PostgreSQL for the storage tests (opt-in: FEDBOT_TEST_POSTGRES_URL; CI sets it when a
local server answers): each test gets a fresh database, dropped after."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from bot.storage.database import Database

PG_URL = os.environ.get("FEDBOT_TEST_POSTGRES_URL")


@asynccontextmanager
async def postgres_database(server_url: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one test (dropped after), as a SQLAlchemy URL."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    admin = Database.open(server_url)
    try:
        async with admin.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.close()

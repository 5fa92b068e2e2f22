"""Numbers people see (a digest's, an unanswered question's, a FAQ entry's) are never given
again after a delete: an old button or `/digest run id:4` must not act on something else.

PostgreSQL's sequences never go back. SQLite, without AUTOINCREMENT, gives the highest id
plus one, so deleting the last row frees its number; AUTOINCREMENT cannot be added to an
existing table without recreating it, and a recreate (its DROP) cascades to the child tables
while foreign keys are on. So the feature stores ask `fresh_id` for a number on SQLite: one
above both the highest id present and the highest ever given (`id_high_water`), which each
insert raises.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.schema import metadata

id_high_water = Table(
    "id_high_water",
    metadata,
    Column("table_name", String(60), primary_key=True),
    Column("last_id", Integer, nullable=False),
)


async def fresh_id(conn: AsyncConnection, table: Table) -> int | None:
    """The id for a new row of `table` (call inside the insert's transaction), or None on
    PostgreSQL, where the sequence gives it."""
    if conn.dialect.name != "sqlite":
        return None
    highest = (await conn.execute(select(func.max(table.c.id)))).scalar() or 0
    given = (
        await conn.execute(
            select(id_high_water.c.last_id).where(id_high_water.c.table_name == table.name)
        )
    ).scalar() or 0
    new_id = max(highest, given) + 1
    await note_id(conn, table, new_id)
    return new_id


async def note_id(conn: AsyncConnection, table: Table, used: int) -> None:
    """Raise `table`'s high-water mark to `used` (an id given explicitly, e.g. by an import)."""
    if conn.dialect.name != "sqlite":
        return
    row = {"table_name": table.name, "last_id": used}
    upsert = sqlite_insert(id_high_water).values(**row)
    await conn.execute(
        upsert.on_conflict_do_update(
            index_elements=["table_name"],
            set_={"last_id": func.max(id_high_water.c.last_id, upsert.excluded.last_id)},
        )
    )

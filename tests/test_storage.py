"""Storage: migrations on empty and existing databases, SQLite tuning, the agency repository.

The repository tests also run on PostgreSQL when FEDBOT_TEST_POSTGRES_URL is set (CI sets it
when a server answers), so the data layer stays portable.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bot.identity import ChannelRef
from bot.storage.agencies import AgencyRepo
from bot.storage.database import Database
from fedbot.assembly import migration_dirs

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)


async def test_agencies_and_channels_round_trip(db: Database) -> None:
    repo = AgencyRepo(db)
    nantes, created = await repo.add("Nantes Métropole", "Pays de la Loire", NOW)
    assert created
    again, created = await repo.add("nantes metropole", "Pays-de-la-Loire", NOW)
    assert not created and again.id == nantes.id
    lyon, _ = await repo.add("Lyon Attractivité", "Auvergne-Rhône-Alpes", NOW)
    slack = ChannelRef("slack", "T1", "C1")
    assert await repo.attach_channel(nantes.id, slack, ["numerique"], NOW)
    assert not await repo.attach_channel(lyon.id, slack, ["tiers-lieux"], NOW)  # moved
    await repo.attach_channel(lyon.id, ChannelRef("discord", "G1", "9"), [], NOW)
    channels = await repo.channels()
    assert [(c.agency_name, str(c.ref), c.tags) for c in channels] == [
        ("Lyon Attractivité", "slack:T1:C1", ("tiers-lieux",)),
        ("Lyon Attractivité", "discord:G1:9", ()),
    ]
    assert [c.ref for c in await repo.channels(tag="tiers-lieux")] == [slack]
    assert (await repo.agency_of(slack)).name == "Lyon Attractivité"
    listed = await repo.list()
    assert [(a.name, a.channel_count) for a in listed] == [
        ("Lyon Attractivité", 2),
        ("Nantes Métropole", 0),
    ]
    assert [a.name for a in await repo.list("pays-de-la-loire")] == ["Nantes Métropole"]
    assert await repo.detach_channel(slack)
    assert not await repo.detach_channel(slack)


async def test_migrations_apply_on_an_empty_database_then_are_idempotent(tmp_path: Path) -> None:
    db = Database.open(
        f"sqlite+aiosqlite:///{tmp_path / 'new' / 'deep' / 'f.db'}", migration_dirs()
    )
    await db.migrate()
    heads = await db.revision()
    await db.migrate()
    assert await db.revision() == heads
    from alembic.script import ScriptDirectory

    from bot.storage.database import _alembic_config

    scripts = ScriptDirectory.from_config(_alembic_config(None, migration_dirs()))
    assert heads == sorted(scripts.get_heads())
    assert len(heads) == 8  # federation, slack, and the six branches of the features
    await db.close()


async def test_migrations_keep_the_data_of_an_existing_database(tmp_path: Path) -> None:
    """A database created at the first revision is upgraded to every head, data intact."""
    from alembic import command

    from bot.storage.database import _alembic_config

    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    db = Database.open(url, migration_dirs())
    async with db.write() as conn:
        await conn.run_sync(
            lambda c: command.upgrade(_alembic_config(c, migration_dirs()), "0001_core")
        )
    await AgencyRepo(db).add("Rennes Atalante", "Bretagne", NOW)
    assert await db.revision() == ["0001_core"]
    await db.close()
    db = Database.open(url, migration_dirs())
    await db.migrate()
    assert [a.name for a in await AgencyRepo(db).list()] == ["Rennes Atalante"]
    await db.close()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    db = Database.open(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", migration_dirs())
    await db.migrate()
    async with db.read() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    repo = AgencyRepo(db)
    agency, _ = await repo.add("Brest", "Bretagne", NOW)
    await repo.attach_channel(agency.id, ChannelRef("slack", "T", "C"), [], NOW)
    async with db.write() as conn:
        await conn.execute(text("DELETE FROM agencies"))
    assert await repo.channels() == []  # cascaded
    await db.close()

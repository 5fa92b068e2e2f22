"""Storage: migrations on empty and existing databases, SQLite tuning, the agency repository.

The repository tests also run on PostgreSQL when FEDBOT_TEST_POSTGRES_URL is set (CI sets it
when a server answers), so the data layer stays portable.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from bot.identity import ChannelRef
from bot.storage.agencies import AgencyRepo, agencies
from bot.storage.database import Database
from bot.storage.deliveries import DeliveryLedger
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
    db = Database.open(f"sqlite+aiosqlite:///{tmp_path / 'f.db'}", migration_dirs())
    await db.migrate()
    heads = await db.revision()
    await db.migrate()
    assert await db.revision() == heads
    # A head another branch depends on (the core's id_high_water) is recorded through them.
    assert heads == db.script_heads()
    assert len(heads) == 7  # slack, and the six branches of the features
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
    async with db.write() as conn:  # as the code of that revision wrote it
        await conn.execute(
            agencies.insert().values(
                name="Rennes Atalante",
                name_key="rennes atalante",
                region="Bretagne",
                created_at=NOW,
            )
        )
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


async def test_each_delivery_is_handled_once_even_when_many_arrive_together(
    db: Database,
) -> None:
    """Requests arriving together share one transaction; a key is new once per window, in one
    process or another (two ledgers on one database), and again once its window has passed."""
    one, other = DeliveryLedger(db), DeliveryLedger(db)
    ttl = timedelta(minutes=5)
    keys = [f"slack:sig:{i % 30}" for i in range(90)]  # each key three times
    asked = [(ledger, key) for key in keys for ledger in (one, other)]
    answers = await asyncio.gather(*(ledger.first(key, NOW, ttl) for ledger, key in asked))
    fresh = [key for (_, key), new in zip(asked, answers, strict=True) if new]
    later = NOW + ttl
    again = await asyncio.gather(one.first("slack:sig:1", later, ttl), other.first("x", NOW, ttl))
    replayed = await other.first("slack:sig:1", later, ttl)

    assert sorted(fresh) == sorted(set(keys))  # each key once, whichever ledger saw it first
    assert again == [True, True] and replayed is False
    assert await one.forget_expired(later + ttl) == 31


async def test_a_read_on_a_sqlite_file_is_one_thread_hop_and_sees_every_commit(
    tmp_path: Path,
) -> None:
    db = Database.open(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", migration_dirs())
    await db.migrate()
    repo = AgencyRepo(db)
    hops: list[object] = []
    async with db.read() as reader:
        threads = reader._threads  # the reader's own pool: count what goes through it
    submit = threads.submit
    threads.submit = lambda fn, *a, **k: hops.append(fn) or submit(fn, *a, **k)  # type: ignore[method-assign]
    for i in range(3):
        await repo.add(f"Agence {i}", "Bretagne", NOW)
        assert [a.name for a in await repo.list()] == [f"Agence {n}" for n in range(i + 1)]
    assert len(hops) == 3  # one per query, however many DB-API calls it makes
    async with db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(agencies)) == 3
        names = (await conn.execute(select(agencies.c.name))).scalars().all()
        assert sorted(names) == ["Agence 0", "Agence 1", "Agence 2"]
        row = (await conn.execute(select(agencies.c.created_at).limit(1))).one()
        assert row.created_at.replace(tzinfo=UTC) == NOW  # types still processed
    await db.close()

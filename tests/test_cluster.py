"""Several processes on one database: tools that must not touch work in progress, and the
database faults a process meets (a dropped connection, a fault in the middle of recording a
send). The leases themselves are tested with their stores (test_runs.py,
test_announce_storage.py, test_profile_storage.py) and end to end in test_announce_kill.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from bot.identity import Caller, ChannelRef
from bot.pacing import LocalPacer, Rate
from bot.storage.agencies import AgencyRepo
from bot.storage.budgets import SharedPacer, pacer_for
from bot.storage.database import Database
from bot.storage.deliveries import DeliveryLedger
from bot.storage.members import MemberRepo
from commands.announce.audience import resolve
from commands.announce.store.announcements import AnnouncementRepo, Draft
from commands.announce.store.outbox_rows import PENDING, SENDING, SENT
from fedbot.assembly import make_app, migration_dirs
from fedbot.cli import build_parser
from fedbot.platforms import discord as discord_cli
from tests.conftest import T0, leases
from tests.discord_harness import GENERAL, GUILD, discord_config, fake_discord
from tests.postgres import PG_URL, postgres_database

needs_postgres = pytest.mark.skipif(not PG_URL, reason="set FEDBOT_TEST_POSTGRES_URL")


async def test_fedbot_discord_sync_leaves_a_broadcast_in_progress_alone(tmp_path: Path) -> None:
    """`fedbot discord sync` opens the database but starts no feature: a broadcast half sent
    by a process that died is neither resumed nor re-queued by it."""
    async with fake_discord() as fake:
        config = discord_config(tmp_path, fake, guild_ids=[str(GUILD)])
        app = make_app(config, start_scheduler=False)
        await app.open()
        agency, _ = await app.services.agencies.add("Agence", "Bretagne", T0)
        await app.services.agencies.attach_channel(
            agency.id, ChannelRef("discord", str(GUILD), str(GENERAL)), (), T0
        )
        author = await app.services.members.ensure(Caller("console", "local", "sam"), T0)
        repo = app.services.get(AnnouncementRepo)
        origin = ChannelRef("console", "local", "staff")
        draft = Draft("Titre", "Texte", None, "all", "", "fr", origin, None)
        ann_id = await repo.create_draft(draft, author.id, T0)
        await repo.confirm(
            ann_id, await resolve(app.services.agencies, "all", ""), author.id, origin, T0
        )
        (row,) = await repo.outbox.reserve(ann_id, T0, ["discord"], 10)
        await repo.outbox.claim(row)  # in flight when its process died, long ago
        await app.close()

        assert await discord_cli(config, build_parser().parse_args(["discord", "sync"])) == 0
        assert fake.messages_in(GENERAL) == []
        db = Database.open(config.bot.database_url, migration_dirs())
        counts = await AnnouncementRepo(db, leases(db)).outbox.counts(ann_id)
        assert counts == {"discord": {SENDING: 1}}
        await db.close()


@needs_postgres
async def test_a_dropped_connection_costs_no_command() -> None:
    """PostgreSQL restarted, or a proxy closed idle connections: the pool tests each
    connection before use, so the next query just gets a fresh one."""
    assert PG_URL is not None
    async with postgres_database(PG_URL) as url:
        db = Database.open(url, migration_dirs())
        await db.migrate()
        async with db.read() as conn:
            await conn.execute(text("SELECT 1"))
        await _terminate_backends(url)
        async with db.read() as conn:
            assert (await conn.execute(text("SELECT 2"))).scalar() == 2
        await db.close()


@needs_postgres
async def test_a_signature_recorded_as_its_connection_died_is_still_fresh_once() -> None:
    """The replay guard's upsert was applied, then its connection died before the answer: the
    batch runs again on a fresh connection and its requests pass; a later replay does not."""
    assert PG_URL is not None
    async with postgres_database(PG_URL) as url:
        db = Database.open(url, migration_dirs())
        await db.migrate()
        async with db.statement() as side:
            engine = side.engine.sync_engine  # the autocommit pool the guard writes through
        faults: list[str] = []

        @event.listens_for(engine, "after_cursor_execute")
        def die(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if not faults and statement.startswith("INSERT INTO seen_deliveries"):
                faults.append("killed after the insert")
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

        ledger = DeliveryLedger(db)
        ttl = timedelta(minutes=5)
        assert await ledger.first("slack:sig:v0=abc", T0, ttl)
        assert faults == ["killed after the insert"]
        assert not await ledger.first("slack:sig:v0=abc", T0 + timedelta(seconds=1), ttl)
        await db.close()


@needs_postgres
async def test_a_connection_lost_while_recording_a_send_is_retried() -> None:
    """The copy is out; the connection dies in the middle of recording it. The record is
    retried (with jitter) rather than leaving the row `sending`, to be resent later."""
    assert PG_URL is not None
    async with postgres_database(PG_URL) as url:
        db = Database.open(url, migration_dirs())
        await db.migrate()
        repo = AnnouncementRepo(db, leases(db))
        ann_id, row = await _one_row_in_flight(db, repo)
        faults = _kill_connection_on(db, "UPDATE announcement_deliveries SET state=CASE")
        assert await repo.outbox.mark_sent(row, "m1", T0)
        assert faults == ["killed"]  # the first try met the fault, the second recorded it
        assert await repo.outbox.counts(ann_id) == {"discord": {SENT: 1}}
        await db.close()


async def test_a_transaction_is_not_retried_after_a_fault_that_is_not_transient(
    tmp_path: Path,
) -> None:
    db = Database.open(f"sqlite+aiosqlite:///{tmp_path / 'f.db'}", migration_dirs())
    await db.migrate()
    runs: list[int] = []

    async def broken(conn: Any) -> None:
        runs.append(1)
        await conn.execute(text("INSERT INTO no_such_table VALUES (1)"))

    with pytest.raises(Exception, match="no_such_table"):
        await db.transact(broken)
    assert runs == [1]
    await db.close()


async def _one_row_in_flight(db: Database, repo: AnnouncementRepo) -> tuple[int, Any]:
    agencies = AgencyRepo(db)
    agency, _ = await agencies.add("Agence", "Bretagne", T0)
    await agencies.attach_channel(agency.id, ChannelRef("discord", "G", "1"), (), T0)
    author = await MemberRepo(db).ensure(Caller("console", "local", "sam"), T0)
    origin = ChannelRef("console", "local", "staff")
    draft = Draft("Titre", "Texte", None, "all", "", "fr", origin, None)
    ann_id = await repo.create_draft(draft, author.id, T0)
    await repo.confirm(ann_id, await resolve(agencies, "all", ""), author.id, origin, T0)
    (row,) = await repo.outbox.reserve(ann_id, T0, ["discord"], 10)
    assert row.state == PENDING and await repo.outbox.claim(row)
    return ann_id, row


def _kill_connection_on(db: Database, statement_start: str) -> list[str]:
    """The first statement starting so dies with its connection, as a server restart would."""
    faults: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def kill(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not faults and statement.startswith(statement_start):
            faults.append("killed")
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    return faults


async def _terminate_backends(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = Database.open(url.rsplit("/", 1)[0] + "/test")
    async with admin.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
    await admin.close()


async def test_processes_share_a_platform_budget(db: Database) -> None:
    """Three processes paced on one database take consecutive slots of a Slack channel's
    1 per second (here 10/s): never two in the same slot, as three private limiters would."""
    url = db.engine.url.render_as_string(hide_password=False)
    others = [Database.open(url) for _ in range(2)]
    pacers = [SharedPacer(d) for d in (db, *others)]
    wants = [("slack:post:T1:C1", Rate(10.0))]
    starts = await asyncio.gather(*(pacers[i % 3].reserve(wants, 1000.0) for i in range(30)))
    assert sorted(starts) == pytest.approx([1000.0 + i / 10 for i in range(30)])
    await pacers[1].pause("slack:post:T1:C1", 1010.0)  # a 429 seen by one process
    assert await pacers[2].reserve(wants, 1000.0) == pytest.approx(1010.0)
    assert not await pacers[0].try_reserve(wants, 1005.0)  # busy: best-effort work skips
    await pacers[0].forget_idle(2000.0)
    assert await pacers[0].try_reserve(wants, 2000.0)  # idle buckets forgotten, fresh again
    for other in others:
        await other.close()


def test_the_pacer_is_shared_on_postgresql_and_private_on_sqlite(tmp_path: Path) -> None:
    sqlite = Database.open(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    assert isinstance(pacer_for("auto", sqlite), LocalPacer)
    assert isinstance(pacer_for("database", sqlite), SharedPacer)
    postgres = Database.open("postgresql+asyncpg://u@127.0.0.1:5432/x")
    assert isinstance(pacer_for("auto", postgres), SharedPacer)
    assert isinstance(pacer_for("local", postgres), LocalPacer)

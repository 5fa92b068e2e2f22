"""Exactly-once building blocks: the run ledger, members, and the scheduler wrapper."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.identity import Caller
from bot.leases import Leases
from bot.scheduler import Scheduler
from bot.storage.database import Database
from bot.storage.members import MemberRepo
from bot.storage.runs import RunLedger
from fedbot.assembly import migration_dirs
from tests.conftest import leases

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


async def _open(path: Path) -> Database:
    db = Database.open(f"sqlite+aiosqlite:///{path}", migration_dirs())
    await db.migrate()
    return db


async def test_a_run_is_claimed_once_even_by_two_processes(tmp_path: Path) -> None:
    first, second = await _open(tmp_path / "r.db"), await _open(tmp_path / "r.db")
    ledgers = [RunLedger(first, leases(first, "p1")), RunLedger(second, leases(second, "p2"))]
    key = "digest:1:2026-12-07T08:00Z"
    wins = await asyncio.gather(
        *(ledger.claim(key, "digest", f"p{i}", NOW) for i, ledger in enumerate(ledgers * 5))
    )
    assert sorted(w is not None for w in wins) == [False] * 9 + [True]
    assert [r.key for r in await ledgers[1].unfinished("digest")] == [key]
    await ledgers[0].finish(key, NOW + timedelta(seconds=2))
    assert await ledgers[1].unfinished("digest") == []
    run = await ledgers[1].get(key)
    assert run is not None and run.outcome == "sent"
    await first.close()
    await second.close()


async def test_a_run_whose_owner_died_is_taken_over_once_its_lease_lapsed(
    tmp_path: Path,
) -> None:
    first, second = await _open(tmp_path / "r.db"), await _open(tmp_path / "r.db")
    dead, alive = RunLedger(first, leases(first, "dead")), RunLedger(second, leases(second, "p2"))
    key = "digest:1:2026-12-07T08:00Z"
    claim = await dead.claim(key, "digest", "dead", NOW)
    assert claim is not None and not claim.in_doubt
    lease = timedelta(seconds=60)
    assert await alive.lapsed("digest", NOW + lease) == []
    assert await alive.claim(key, "digest", "p2", NOW + lease) is None  # may still be sending
    later = NOW + lease + timedelta(seconds=1)
    assert [r.key for r in await alive.lapsed("digest", later)] == [key]
    takeovers = await asyncio.gather(*(alive.claim(key, "digest", "p2", later) for _ in range(4)))
    assert [t.in_doubt for t in takeovers if t is not None] == [True]  # one taker, in doubt
    await alive.finish(key, later)
    assert await alive.lapsed("digest", later + 10 * lease) == []
    assert await dead.claim(key, "digest", "dead", later + 10 * lease) is None  # finished
    await first.close()
    await second.close()


async def test_the_heartbeat_keeps_a_held_run_from_lapsing(tmp_path: Path) -> None:
    db = await _open(tmp_path / "h.db")
    clock = FixedClock(NOW)
    mine = Leases(db, "p1", clock, timedelta(seconds=60))
    ledger, other = RunLedger(db, mine), RunLedger(db, leases(db, "p2"))
    key = "round:1:2026-12-07T08:00Z"
    async with ledger.claimed(key, "match-round", "p1", NOW) as claim:
        assert claim is not None
        clock.set(NOW + timedelta(seconds=50))
        assert await mine.renew() == 1  # the heartbeat while the round is being built
        assert await other.claim(key, "match-round", "p2", NOW + timedelta(seconds=90)) is None
    clock.set(NOW + timedelta(seconds=100))
    assert await mine.renew() == 0  # the block ended: nothing held, nothing renewed
    taken = await other.claim(key, "match-round", "p2", NOW + timedelta(seconds=111))
    assert taken is not None and taken.in_doubt
    await db.close()


async def test_members_are_created_on_first_use_and_erased(tmp_path: Path) -> None:
    db = await _open(tmp_path / "m.db")
    repo = MemberRepo(db)
    alice = Caller("slack", "T1", "U1", "Alice", "fr-FR")
    member = await repo.ensure(alice, NOW)
    again = await repo.ensure(Caller("slack", "T1", "U1", "Alice B.", "en-GB"), NOW)
    assert again.id == member.id and again.display_name == "Alice B."
    assert await repo.erase(member.id)
    assert await repo.find("slack", "T1", "U1") is None
    await db.close()


async def test_scheduled_jobs_run_and_a_failing_job_does_not_stop_others(caplog) -> None:
    scheduler = Scheduler(ZoneInfo("Europe/Paris"))
    ran: list[str] = []

    async def ok() -> None:
        ran.append("ok")

    async def broken() -> None:
        raise RuntimeError("boom")

    scheduler.start()
    soon = datetime.now(UTC) + timedelta(milliseconds=100)
    scheduler.at("broken", soon, broken)
    scheduler.at("ok", soon + timedelta(milliseconds=50), ok)
    for _ in range(50):
        if ran:
            break
        await asyncio.sleep(0.05)
    scheduler.shutdown()
    assert ran == ["ok"]
    assert any("scheduled job broken failed" in r.getMessage() for r in caplog.records)


def test_next_run_is_known_before_the_scheduler_starts() -> None:
    scheduler = Scheduler(ZoneInfo("Europe/Paris"))

    async def job() -> None:  # pragma: no cover - never run
        pass

    when = datetime.now(UTC) + timedelta(days=3)
    scheduler.at("later", when, job)
    assert scheduler.next_run("later") == when
    assert scheduler.next_run("unknown") is None


async def test_a_caller_in_a_direct_message_is_the_member_known_in_their_workspace(
    tmp_path: Path,
) -> None:
    db = await _open(tmp_path / "dm.db")
    repo = MemberRepo(db)
    known = await repo.ensure(Caller("discord", "111", "42", "Alice", "fr"), NOW)
    in_dm = await repo.ensure(Caller("discord", "dm", "42", "Alice", "fr"), NOW)
    assert in_dm.id == known.id
    stranger = await repo.ensure(Caller("discord", "dm", "43", "Bob", "fr"), NOW)
    assert stranger.id != known.id
    await db.close()


def test_replacing_a_job_before_the_scheduler_starts_keeps_one() -> None:
    scheduler = Scheduler(ZoneInfo("Europe/Paris"))

    async def job() -> None:  # pragma: no cover - never run
        pass

    later = datetime.now(UTC) + timedelta(days=1)
    scheduler.at("digest-1", later, job)
    scheduler.at("digest-1", later + timedelta(hours=1), job)
    assert scheduler.job_ids() == ["digest-1"]
    assert scheduler.next_run("digest-1") == later + timedelta(hours=1)

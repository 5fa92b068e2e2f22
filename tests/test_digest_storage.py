"""The digest repository and the digest figures on SQLite, and on PostgreSQL when
FEDBOT_TEST_POSTGRES_URL is set: the same statements must run on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.identity import Caller, ChannelRef
from bot.storage.database import Database
from bot.storage.members import MemberRepo
from bot.storage.runs import RunLedger
from commands.digest.store.digests import DigestFields, DigestRepo
from commands.digest.store.sources import DigestSources
from tests.conftest import leases

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
NANTES = ChannelRef("slack", "T1", "C1")
FIELDS = DigestFields(NANTES, "weekly monday 09:00", "fr", ("events", "activity"), 14, "agency")


async def test_digests_round_trip(db: Database) -> None:
    repo = DigestRepo(db)
    member = await MemberRepo(db).ensure(Caller("slack", "T1", "U1", "Camille"), NOW)
    created = await repo.create(FIELDS, member.id, NOW)
    assert created.fields == FIELDS and not created.paused
    assert created.created_by == member.id and created.active_since == NOW
    other = await repo.create(
        DigestFields(ChannelRef("discord", "G", "9"), "daily 08:00", "en", ("faq",), 3, "all"),
        None,
        NOW,
    )
    assert [d.id for d in await repo.in_channels([NANTES])] == [created.id]
    assert await repo.count_in_channel(NANTES) == 1
    assert (await repo.first(1)) == ([created], 2)

    later = NOW + timedelta(hours=1)
    paused = await repo.set_paused(created.id, True, later)
    assert paused is not None and paused.paused and paused.active_since == NOW
    assert [d.id for d in await repo.active()] == [other.id]
    resumed = await repo.set_paused(created.id, False, later)
    assert resumed is not None and resumed.active_since == later

    edited = await repo.update(created.id, FIELDS, later + timedelta(hours=1), restart=False)
    assert edited is not None and edited.active_since == later
    assert await repo.update(999, FIELDS, later, restart=True) is None

    # Erasing the creator keeps the channel's digest.
    assert await MemberRepo(db).erase(member.id)
    kept = await repo.get(created.id)
    assert kept is not None and kept.created_by is None
    assert await repo.delete(created.id) and await repo.get(created.id) is None
    assert not await repo.delete(created.id)


async def test_the_last_run_only_moves_forward(db: Database) -> None:
    repo = DigestRepo(db)
    digest = await repo.create(FIELDS, None, NOW)
    monday, next_monday = NOW + timedelta(days=4), NOW + timedelta(days=11)
    await repo.record_run(digest.id, next_monday, "sent", next_monday)
    await repo.record_run(digest.id, monday, "sent", next_monday)  # a late resumed run
    after = await repo.get(digest.id)
    assert after.last_run_at == next_monday and after.last_outcome == "sent"
    await repo.record_run(digest.id, next_monday + timedelta(days=7), "failed", NOW)
    failed = await repo.get(digest.id)
    assert failed.last_run_at == next_monday and failed.last_outcome == "failed"


async def test_newcomers_and_activity(db: Database) -> None:
    members = MemberRepo(db)
    for i, ago in enumerate((1, 2, 30)):
        await members.ensure(
            Caller("slack", "T1", f"U{i}", f"Membre {i}"), NOW - timedelta(hours=ago)
        )
    sources = DigestSources(db)
    total, people = await sources.newcomers(NOW - timedelta(days=1), NOW, 1)
    assert total == 2 and [p.name for p in people] == ["Membre 0"]
    assert not people[0].visible
    assert await sources.newcomers(NOW - timedelta(days=1), NOW, 5, agency_ids=[1]) == (0, [])
    figures = await sources.activity(NOW - timedelta(days=1), NOW)
    assert (figures.new_members, figures.events_created, figures.rsvps) == (2, 0, 0)
    assert (await sources.activity(NOW, NOW + timedelta(days=1))).empty


async def test_the_ledger_refuses_a_second_claim_of_a_run(db: Database) -> None:
    ledger = RunLedger(db, leases(db))
    key = "digest:1:2026-11-30T08:00Z"
    assert await ledger.claim(key, "digest", "a", NOW)
    assert not await ledger.claim(key, "digest", "b", NOW)

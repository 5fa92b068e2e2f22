"""Profiles and matching storage on SQLite and, when FEDBOT_TEST_POSTGRES_URL is set, on
PostgreSQL: the same repositories, the same results; the migration builds what the tables
declare; erasing a member cascades everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect

from bot.identity import Caller, ChannelRef
from bot.storage.agencies import AgencyRepo
from bot.storage.database import Database
from bot.storage.members import MemberRepo
from bot.storage.schema import metadata
from commands.match.store.delivery import DM
from commands.match.store.matching import MatchingRepo, NewGroup
from commands.profile.store.imports import ImportedMember, import_members
from commands.profile.store.profiles import ProfileChanges, ProfileRepo, Tag
from tests.conftest import leases
from tests.match_support import caller

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
MINE = (
    "profiles",
    "profile_tags",
    "match_round_configs",
    "match_rounds",
    "match_groups",
    "match_group_members",
    "match_pairs",
)


async def test_the_migration_builds_what_the_tables_declare(db: Database) -> None:  # noqa: F811
    def shape(sync_conn):
        inspector = inspect(sync_conn)
        return {
            name: (
                sorted(c["name"] for c in inspector.get_columns(name)),
                # PostgreSQL lists unique constraints among indexes: keep ours (ix_*).
                sorted(i["name"] for i in inspector.get_indexes(name) if i["name"][:3] == "ix_"),
            )
            for name in MINE
        }

    async with db.engine.connect() as conn:
        built = await conn.run_sync(shape)
    declared = {
        name: (
            sorted(c.name for c in metadata.tables[name].columns),
            sorted(i.name for i in metadata.tables[name].indexes),
        )
        for name in MINE
    }
    assert built == declared


async def _people(database: Database, count: int) -> tuple[ProfileRepo, list[int]]:
    members, repo = MemberRepo(database), ProfileRepo(database)
    agency, _ = await AgencyRepo(database).add("Rennes Atalante", "Bretagne", NOW)
    ids = []
    for i in range(count):
        member = await members.ensure(caller(f"u{i}"), NOW)
        tags = (Tag("hackathon", "hackathon"), Tag(f"sujet-{i}", f"sujet {i}"))
        changes = ProfileChanges(agency_id=agency.id, opt_in=i != 0, tags=tags, languages=("fr",))
        await repo.save(member.id, changes, NOW)
        ids.append(member.id)
    return repo, ids


async def test_profiles_snapshot_and_cards(db: Database) -> None:  # noqa: F811
    repo, ids = await _people(db, 3)
    saved = await repo.get(ids[1])
    assert saved is not None and saved.agency_name == "Rennes Atalante"
    assert saved.slugs == {"hackathon", "sujet-1"} and saved.languages == ("fr",)
    snapshot = await repo.snapshot()
    assert sorted(r.member_id for r in snapshot.members) == ids[1:]  # u0 did not opt in
    assert snapshot.tag_use["hackathon"] == 3 and snapshot.spellings["sujet-2"] == "sujet 2"
    assert await repo.snapshot() is snapshot  # cached until something changes
    await repo.save(ids[0], ProfileChanges(opt_in=True), NOW)
    assert len((await repo.snapshot()).members) == 3
    cards = await repo.cards(ids)
    assert cards[ids[2]].display_name == "U2" and cards[ids[2]].description == ""
    people = await repo.round_population("console", "local")
    assert sorted(p.member_id for p in people) == ids


async def test_rounds_history_answers_and_stats(db: Database) -> None:  # noqa: F811
    repo, ids = await _people(db, 5)
    matching = MatchingRepo(db, leases(db))
    channel = ChannelRef("console", "local", "general")
    config = await matching.enable(channel, "weekly monday 09:00", NOW, NOW)
    groups = [
        NewGroup((ids[0], ids[1]), ("hackathon",), False),
        NewGroup(tuple(ids[2:]), (), False),
    ]
    nxt = NOW + timedelta(weeks=1)
    round_id = await matching.create_round(
        config, NOW, groups, member_count=5, now=NOW, ask_at=NOW, next_run_at=nxt
    )
    assert round_id is not None
    again = await matching.create_round(
        config, NOW, groups, member_count=5, now=NOW, ask_at=NOW, next_run_at=nxt
    )
    assert again is None  # one round per scheduled time
    assert (await matching.get_config(config.id)).next_run_at == nxt
    assert set(await matching.pairs_since(NOW - timedelta(days=1))) == {
        (ids[0], ids[1]),
        (ids[2], ids[3]),
        (ids[2], ids[4]),
        (ids[3], ids[4]),
    }
    tasks = await matching.delivery.claim_intros(NOW, ["console"], 10)
    assert len(tasks) == 5 and await matching.delivery.claim_intros(NOW, ["console"], 10) == []
    other = MatchingRepo(db, leases(db, "p2")).delivery
    lapsed = NOW + timedelta(seconds=61)
    assert await other.claim_intros(NOW + timedelta(seconds=60), ["console"], 10) == []
    taken = await other.claim_intros(lapsed, ["console"], 10)  # the owner died: in doubt
    assert len(taken) == 5 and all(t.in_doubt for t in taken)
    await matching.delivery.settle_intros({t.row_id: DM for t in tasks})  # no longer its rows
    assert await other.claim_intros(lapsed, ["console"], 10) == []
    tasks = taken
    await other.settle_intros({t.row_id: DM for t in tasks})
    questions = await matching.delivery.claim_questions(NOW, ["console"], 10)
    assert len(questions) == 4  # not u0: who opted out is not asked any more
    group = await matching.group_of(tasks[0].group_id)
    assert group.member_for(Caller("console", "local", "u0")) == ids[0]
    assert group.member_for(Caller("console", "elsewhere", "u0")) is None
    assert await matching.answer(tasks[0].group_id, ids[0], "yes", NOW)
    stats = await matching.stats("console", "local")
    assert (stats.rounds, stats.groups, stats.trios, stats.members_paired) == (1, 2, 1, 5)
    assert (stats.answered, stats.met) == (1, 1)
    history = await matching.history_of(ids[0])
    assert history["rounds"][0]["answer"] == "yes" and history["rounds"][0]["with"] == ["U1"]
    await MemberRepo(db).erase(ids[0])
    assert await repo.get(ids[0]) is None
    assert await matching.partners_since(ids[1], NOW - timedelta(days=1)) == {}
    assert (await matching.stats("console", "local")).groups == 2  # others' data stays


async def test_bulk_import_in_one_transaction(db: Database) -> None:  # noqa: F811
    repo = ProfileRepo(db)
    rows = [
        ImportedMember(
            "slack",
            "T1",
            f"U{i:05d}",
            f"Membre {i}",
            None,
            i % 2 == 0,
            (Tag("hackathon", "hackathon"),),
        )
        for i in range(1_200)
    ]
    ticks: list[int] = []
    counts = await import_members(repo, rows, NOW, progress=ticks.append)
    assert (counts.created, sum(ticks)) == (1_200, 1_200)
    counts = await import_members(repo, rows, NOW)
    assert (counts.created, counts.updated, counts.kept, counts.unchanged) == (0, 0, 0, 1_200)
    assert len((await repo.snapshot()).members) == 600

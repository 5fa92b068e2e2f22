"""The announcement repository and its outbox, on SQLite and (opt-in) PostgreSQL.

Every transition is guarded by the state it leaves and by the lease of the process holding
the row; these tests pin the ones the courier and the commands rely on: confirm writes all
rows at once, a row is reserved by one process and claimed once, a withdrawal racing a send
still deletes the copy, a dead process's rows are taken over only once its lease lapsed (in
doubt when they were in flight), a late copy is recorded and withdrawn, GDPR erasure.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.identity import Caller, ChannelRef
from bot.storage.agencies import AgencyRepo
from bot.storage.database import Database
from bot.storage.members import MemberRepo
from commands.announce.store.announcements import AnnouncementRepo, Destination, Draft, State
from commands.announce.store.outbox_rows import (
    CANCELLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    TO_WITHDRAW,
    WITHDRAWN,
)
from tests.conftest import leases

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
STAFF_CHANNEL = ChannelRef("slack", "T1", "CSTAFF")


async def _setup(
    database: Database, channels: int = 3
) -> tuple[AnnouncementRepo, int, int, list[Destination]]:
    agencies, members = AgencyRepo(database), MemberRepo(database)
    author = await members.ensure(Caller("slack", "T1", "U1", "Sam"), NOW)
    dests = []
    for i in range(channels):
        agency, _ = await agencies.add(f"Agence {i}", "Bretagne", NOW)
        ref = ChannelRef("slack" if i % 2 else "discord", "W", f"c{i}")
        dests.append(Destination(agency.id, agency.name, ref))
    repo = AnnouncementRepo(database, leases(database, "p1"))
    draft = Draft("Titre", "Texte", None, "all", "", "fr", STAFF_CHANNEL, None)
    ann_id = await repo.create_draft(draft, author.id, NOW)
    return repo, ann_id, author.id, dests


async def test_confirm_writes_every_row_once_and_only_for_a_draft(db) -> None:  # noqa: F811
    repo, ann_id, author, dests = await _setup(db)
    assert await repo.confirm(ann_id, dests, author, STAFF_CHANNEL, NOW)
    assert not await repo.confirm(ann_id, dests, author, STAFF_CHANNEL, NOW)  # second click
    assert await repo.outbox.counts(ann_id) == {"discord": {PENDING: 2}, "slack": {PENDING: 1}}
    ann = await repo.get(ann_id)
    assert ann.state == State.ACTIVE and ann.author_name == "Sam"
    assert [(e.action, e.channels) for e in await repo.audit_log(ann_id)] == [("confirm", 3)]


PLATFORMS = ["slack", "discord"]
LEASE = timedelta(seconds=60)


def _other(db: Database, owner: str = "p2") -> AnnouncementRepo:
    """The same database seen from another process."""
    return AnnouncementRepo(db, leases(db, owner))


async def test_due_rows_are_reserved_by_one_process_claimed_once_and_settle(db) -> None:  # noqa: F811
    repo, ann_id, author, dests = await _setup(db)
    await repo.confirm(ann_id, dests, author, STAFF_CHANNEL, NOW)
    outbox, other = repo.outbox, _other(db).outbox
    assert await outbox.reserve(ann_id, NOW, ["console"], 10) == []
    due = await outbox.reserve(ann_id, NOW, PLATFORMS, 10)
    assert len(due) == 3 and not any(r.in_doubt for r in due)
    assert await other.reserve(ann_id, NOW, PLATFORMS, 10) == []  # held: not shared
    assert await other.due_announcements(NOW, PLATFORMS) == []
    assert not await other.claim(due[0])  # not its row
    claims = await asyncio.gather(*(outbox.claim(due[0]) for _ in range(5)))
    assert claims.count(True) == 1
    assert await outbox.mark_sent(due[0], "m1", NOW)
    await outbox.claim(due[1])
    later = NOW + timedelta(seconds=30)
    await outbox.settle(due[1], PENDING, later, "ratelimited")
    # due[2] is still held by p1 until its lease ends; due[1] comes back at `later`.
    assert await outbox.next_due(ann_id, NOW, PLATFORMS) == later
    await outbox.claim(due[2])
    await outbox.settle(due[2], FAILED, NOW, "channel_not_found")
    assert await outbox.next_due(ann_id, NOW, PLATFORMS) == later
    assert await outbox.due_announcements(NOW, PLATFORMS) == []
    assert await other.due_announcements(later, PLATFORMS) == [ann_id]
    assert [r.id for r in await other.reserve(ann_id, later, PLATFORMS, 10)] == [due[1].id]
    failed = await outbox.in_states(ann_id, [FAILED])
    assert [(f.last_error, f.attempts) for f in failed] == [("channel_not_found", 1)]
    assert not await repo.settle(ann_id, NOW)  # one row still pending
    assert await repo.retry_failed(await repo.get(ann_id), author, NOW) == 1


async def test_reservations_share_the_rows_between_processes(db) -> None:  # noqa: F811
    repo, ann_id, author, dests = await _setup(db, channels=10)
    await repo.confirm(ann_id, dests, author, STAFF_CHANNEL, NOW)
    outboxes = [repo.outbox, *(_other(db, f"p{i}").outbox for i in (2, 3))]
    batches = await asyncio.gather(*(o.reserve(ann_id, NOW, PLATFORMS, 4) for o in outboxes))
    ids = [r.id for batch in batches for r in batch]
    assert len(ids) == len(set(ids)) == 10  # every row once, to one process


async def test_a_withdrawal_racing_a_send_still_deletes_the_copy(db) -> None:  # noqa: F811
    repo, ann_id, author, dests = await _setup(db)
    await repo.confirm(ann_id, dests, author, STAFF_CHANNEL, NOW)
    rows = await repo.outbox.reserve(ann_id, NOW, PLATFORMS, 10)
    await repo.outbox.claim(rows[0])
    await repo.outbox.claim(rows[1])
    await repo.outbox.mark_sent(rows[1], "m2", NOW)
    cancelled, queued = await repo.withdraw(await repo.get(ann_id), author, NOW)
    assert (cancelled, queued) == (1, 1)  # rows[2] never sent; rows[1] to delete
    await repo.outbox.mark_sent(rows[0], "m1", NOW)  # the send in flight lands afterwards
    states = {r.id: r.state for r in await repo.outbox.in_states(ann_id, [TO_WITHDRAW, CANCELLED])}
    assert states == {rows[0].id: TO_WITHDRAW, rows[1].id: TO_WITHDRAW, rows[2].id: CANCELLED}


async def test_a_dead_process_rows_are_taken_over_only_when_its_lease_lapsed(db) -> None:  # noqa: F811
    repo, ann_id, author, dests = await _setup(db)
    await repo.confirm(ann_id, dests, author, STAFF_CHANNEL, NOW)
    rows = await repo.outbox.reserve(ann_id, NOW, PLATFORMS, 10)
    await repo.outbox.claim(rows[0])  # in flight when the process died; rows[1:] reserved
    other = _other(db).outbox
    assert await other.reserve(ann_id, NOW + LEASE, PLATFORMS, 10) == []  # not lapsed yet
    after = NOW + LEASE + timedelta(seconds=1)
    assert await other.due_announcements(after, PLATFORMS) == [ann_id]
    taken = {r.id: r for r in await other.reserve(ann_id, after, PLATFORMS, 10)}
    assert set(taken) == {r.id for r in rows}
    assert taken[rows[0].id].in_doubt and taken[rows[0].id].state == SENDING
    assert not taken[rows[1].id].in_doubt
    assert await other.claim(taken[rows[0].id])  # still in flight, one more attempt
    assert await other.mark_sent(taken[rows[0].id], "found-on-platform", after)
    assert not await repo.outbox.claim(rows[1])  # the dead owner's claim is void


async def test_a_copy_sent_after_losing_the_row_is_recorded_and_withdrawn(db) -> None:  # noqa: F811
    repo, ann_id, author, dests = await _setup(db, channels=1)
    await repo.confirm(ann_id, dests, author, STAFF_CHANNEL, NOW)
    (slow,) = await repo.outbox.reserve(ann_id, NOW, PLATFORMS, 10)
    await repo.outbox.claim(slow)  # so slow that its lease lapses
    other = _other(db).outbox
    (taken,) = await other.reserve(ann_id, NOW + 2 * LEASE, PLATFORMS, 10)
    await other.claim(taken)
    assert await other.mark_sent(taken, "m-new", NOW + 2 * LEASE)
    assert not await repo.outbox.mark_sent(slow, "m-late", NOW + 2 * LEASE)  # lands after
    (row,) = await repo.outbox.in_states(ann_id, [SENT])
    assert row.copies == ("m-new", "m-late")
    await repo.withdraw(await repo.get(ann_id), author, NOW + 3 * LEASE)
    (deleting,) = await other.reserve(ann_id, NOW + 3 * LEASE, PLATFORMS, 10)
    assert deleting.copies == ("m-new", "m-late")
    await other.claim(deleting)
    await other.withdrawn(deleting, deleting.extra_message_ids, NOW + 3 * LEASE)
    (done,) = await other.in_states(ann_id, [WITHDRAWN])
    assert done.extra_message_ids == ()
    # Yet another late copy of an already withdrawn row is queued for deletion at once.
    assert not await repo.outbox.mark_sent(slow, "m-later", NOW + 4 * LEASE)
    (again,) = await other.in_states(ann_id, [TO_WITHDRAW])
    assert again.copies == ("m-new", "m-later")


async def test_a_stopping_process_hands_back_its_reserved_rows(db) -> None:  # noqa: F811
    repo, ann_id, author, dests = await _setup(db)
    await repo.confirm(ann_id, dests, author, STAFF_CHANNEL, NOW)
    rows = await repo.outbox.reserve(ann_id, NOW, PLATFORMS, 10)
    await repo.outbox.claim(rows[0])
    assert await repo.outbox.release() == 2  # the one in flight stays with its lease
    taken = await _other(db).outbox.reserve(ann_id, NOW, PLATFORMS, 10)
    assert sorted(r.id for r in taken) == sorted(r.id for r in rows[1:])


async def test_acks_keep_the_first_per_agency_and_erasure_removes_them(db) -> None:  # noqa: F811
    repo, ann_id, author, dests = await _setup(db)
    await repo.confirm(ann_id, dests, author, STAFF_CHANNEL, NOW)
    row = (await repo.outbox.reserve(ann_id, NOW, PLATFORMS, 10))[0]
    members = MemberRepo(db)
    bob = await members.ensure(Caller("discord", "W", "B", "Bob"), NOW)
    eve = await members.ensure(Caller("discord", "W", "E", "Eve"), NOW)
    new, ack = await repo.ack(row, bob.id, NOW)
    assert new and ack.member_name == "Bob"
    new, ack = await repo.ack(row, eve.id, NOW + timedelta(minutes=1))
    assert not new and ack.member_name == "Bob"
    assert await members.erase(bob.id)
    assert await repo.acks(ann_id) == []  # cascaded with the member
    assert await members.erase(author)
    ann = await repo.get(ann_id)
    # The broadcast and its record survive the erasure of whoever sent it, anonymised.
    assert ann is not None and ann.author_id is None and ann.author_name is None
    assert [(e.action, e.actor_name) for e in await repo.audit_log(ann_id)] == [("confirm", None)]


@pytest.mark.parametrize("state", [SENT])
async def test_counts_and_totals_group_by_platform_and_state(db, state) -> None:  # noqa: F811
    repo, ann_id, author, dests = await _setup(db, channels=4)
    await repo.confirm(ann_id, dests, author, STAFF_CHANNEL, NOW)
    for row in await repo.outbox.reserve(ann_id, NOW, ["discord"], 10):
        await repo.outbox.claim(row)
        await repo.outbox.mark_sent(row, "m", NOW)
    assert await repo.outbox.counts(ann_id) == {"discord": {state: 2}, "slack": {PENDING: 2}}
    assert await repo.outbox.totals([ann_id]) == {ann_id: {state: 2, PENDING: 2}}
    assert [name for _, name in await repo.outbox.agencies(ann_id)] == [
        f"Agence {i}" for i in range(4)
    ]

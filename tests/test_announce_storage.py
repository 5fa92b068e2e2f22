"""The announcement repository and its outbox, on SQLite and (opt-in) PostgreSQL.

Every transition is guarded by the state it leaves; these tests pin the ones the courier and
the commands rely on: confirm writes all rows at once, a row is claimed once, a withdrawal
racing a send still deletes the copy, a restart requeues rows in flight, GDPR erasure.
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
from commands.announce.store.outbox import (
    CANCELLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    TO_WITHDRAW,
    WITHDRAWING,
)

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
    repo = AnnouncementRepo(database)
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


async def test_due_rows_are_claimed_once_and_settle(db) -> None:  # noqa: F811
    repo, ann_id, author, dests = await _setup(db)
    await repo.confirm(ann_id, dests, author, STAFF_CHANNEL, NOW)
    outbox = repo.outbox
    due = await outbox.due(ann_id, NOW, ["slack", "discord"])
    assert len(due) == 3 and await outbox.due(ann_id, NOW, ["console"]) == []
    claims = await asyncio.gather(*(outbox.claim(due[0]) for _ in range(5)))
    assert claims.count(True) == 1
    await outbox.mark_sent(due[0], "m1", NOW)
    await outbox.claim(due[1])
    later = NOW + timedelta(seconds=30)
    await outbox.settle(due[1], PENDING, later, "ratelimited")
    assert await outbox.next_due(ann_id, ["slack", "discord"]) == NOW  # due[2] is still due
    await outbox.claim(due[2])
    await outbox.settle(due[2], FAILED, NOW, "channel_not_found")
    assert await outbox.next_due(ann_id, ["slack", "discord"]) == later
    assert await outbox.due_announcements(NOW, ["slack", "discord"]) == []
    assert await outbox.due_announcements(later, ["slack", "discord"]) == [ann_id]
    failed = await outbox.in_states(ann_id, [FAILED])
    assert [(f.last_error, f.attempts) for f in failed] == [("channel_not_found", 1)]
    assert not await repo.settle(ann_id, NOW)  # one row still pending
    assert await repo.retry_failed(await repo.get(ann_id), author, NOW) == 1


async def test_a_withdrawal_racing_a_send_still_deletes_the_copy(db) -> None:  # noqa: F811
    repo, ann_id, author, dests = await _setup(db)
    await repo.confirm(ann_id, dests, author, STAFF_CHANNEL, NOW)
    rows = await repo.outbox.due(ann_id, NOW, ["slack", "discord"])
    await repo.outbox.claim(rows[0])
    await repo.outbox.claim(rows[1])
    await repo.outbox.mark_sent(rows[1], "m2", NOW)
    cancelled, queued = await repo.withdraw(await repo.get(ann_id), author, NOW)
    assert (cancelled, queued) == (1, 1)  # rows[2] never sent; rows[1] to delete
    await repo.outbox.mark_sent(rows[0], "m1", NOW)  # the send in flight lands afterwards
    states = {r.id: r.state for r in await repo.outbox.in_states(ann_id, [TO_WITHDRAW, CANCELLED])}
    assert states == {rows[0].id: TO_WITHDRAW, rows[1].id: TO_WITHDRAW, rows[2].id: CANCELLED}


async def test_a_restart_requeues_rows_left_in_flight(db) -> None:  # noqa: F811
    repo, ann_id, author, dests = await _setup(db)
    await repo.confirm(ann_id, dests, author, STAFF_CHANNEL, NOW)
    rows = await repo.outbox.due(ann_id, NOW, ["slack", "discord"])
    await repo.outbox.claim(rows[0])
    await repo.outbox.claim(rows[1])
    await repo.outbox.mark_sent(rows[1], "m2", NOW)
    await repo.withdraw(await repo.get(ann_id), author, NOW)
    withdrawing = (await repo.outbox.due(ann_id, NOW, ["slack", "discord"]))[0]
    await repo.outbox.claim(withdrawing)
    counts = await repo.outbox.counts(ann_id)
    assert counts["discord"].get(SENDING) == 1 and WITHDRAWING in counts["slack"]
    assert await repo.outbox.recover_in_flight() == 2
    counts = await repo.outbox.counts(ann_id)
    assert SENDING not in counts["discord"] and counts["slack"] == {TO_WITHDRAW: 1}


async def test_acks_keep_the_first_per_agency_and_erasure_removes_them(db) -> None:  # noqa: F811
    repo, ann_id, author, dests = await _setup(db)
    await repo.confirm(ann_id, dests, author, STAFF_CHANNEL, NOW)
    row = (await repo.outbox.due(ann_id, NOW, ["slack", "discord"]))[0]
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
    for row in await repo.outbox.due(ann_id, NOW, ["discord"]):
        await repo.outbox.claim(row)
        await repo.outbox.mark_sent(row, "m", NOW)
    assert await repo.outbox.counts(ann_id) == {"discord": {state: 2}, "slack": {PENDING: 2}}
    assert await repo.outbox.totals([ann_id]) == {ann_id: {state: 2, PENDING: 2}}
    assert [name for _, name in await repo.outbox.agencies(ann_id)] == [
        f"Agence {i}" for i in range(4)
    ]

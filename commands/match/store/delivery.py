"""What rounds still have to send: introductions, then "did you meet?" questions.

Each member of a round group has a row (`match_group_members`) whose states say what was sent:

    intro_state: pending -> sending -> dm | channel | failed   (or back to pending to retry)
    ask_state:   NULL -> sending -> sent | failed              (or back to NULL to retry)

A batch is claimed (moved to `sending`) in one transaction before it is sent, and settled in
one transaction after, so a send is never made twice by two processes. After a crash only the
rows still `sending` are in doubt: `recover_in_flight` queues them again at start (they are
the only possible duplicates, at most one batch).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import column, func, select, table
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.identity import ChannelRef
from bot.storage.database import Database
from bot.storage.members import members
from commands.match.store.tables import (
    cfg,
    gm,
    grp,
    match_group_members,
    match_groups,
    match_round_configs,
    match_rounds,
    rnd,
)

PENDING, SENDING, DM, CHANNEL, FAILED, SENT = (
    "pending",
    "sending",
    "dm",
    "channel",
    "failed",
    "sent",
)
INTRODUCED = (DM, CHANNEL)

# Declared by the profile feature (commands/profile/store/tables.py): a light handle keeps
# this store free of that import. Questions go only to members still opted in.
_profiles = table("profiles", column("member_id"), column("opt_in"))

m = members.c
_TASK_COLUMNS = (
    gm.id,
    gm.group_id,
    gm.member_id,
    gm.attempts,
    m.platform,
    m.workspace,
    m.user_id,
    m.locale,
    m.display_name,
    cfg.channel_id,
    rnd.scheduled_for,
    grp.shared,
)
_TASKS_FROM = (
    match_group_members.join(members, members.c.id == gm.member_id)
    .join(match_groups, grp.id == gm.group_id)
    .join(match_rounds, rnd.id == grp.round_id)
    .join(match_round_configs, cfg.id == rnd.config_id)
)


@dataclass(frozen=True, slots=True)
class Task:
    """One message to send to one member of a round group."""

    row_id: int
    group_id: int
    member_id: int
    platform: str
    workspace: str
    user_id: str
    locale: str
    display_name: str
    channel: ChannelRef  # the round's channel: the fallback when a DM cannot be sent
    scheduled_for: datetime
    shared: tuple[str, ...]
    attempts: int


def _task(r: Any) -> Task:
    return Task(
        r.id,
        r.group_id,
        r.member_id,
        r.platform,
        r.workspace,
        r.user_id,
        r.locale,
        r.display_name or r.user_id,
        ChannelRef(r.platform, r.workspace, r.channel_id),
        r.scheduled_for,
        tuple(r.shared.split()),
        r.attempts,
    )


class DeliveryQueue:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim_intros(self, platforms: Iterable[str], limit: int) -> list[Task]:
        query = select(*_TASK_COLUMNS).select_from(_TASKS_FROM)
        query = query.where(gm.intro_state == PENDING, m.platform.in_(list(platforms)))
        if not await self._any(query):
            return []
        async with self.db.write() as conn:
            tasks = await _claim(conn, query, limit)
            if tasks:
                await conn.execute(
                    match_group_members.update()
                    .where(gm.id.in_([t.row_id for t in tasks]))
                    .values(intro_state=SENDING, attempts=gm.attempts + 1)
                )
        return tasks

    async def claim_questions(
        self, now: datetime, platforms: Iterable[str], limit: int
    ) -> list[Task]:
        query = (
            select(*_TASK_COLUMNS)
            .select_from(_TASKS_FROM.join(_profiles, _profiles.c.member_id == gm.member_id))
            .where(
                gm.ask_due_at <= now,
                gm.ask_state.is_(None),
                gm.intro_state.in_(INTRODUCED),
                _profiles.c.opt_in.is_(True),
                m.platform.in_(list(platforms)),
            )
        )
        if not await self._any(query):
            return []
        async with self.db.write() as conn:
            tasks = await _claim(conn, query, limit)
            if tasks:
                await conn.execute(
                    match_group_members.update()
                    .where(gm.id.in_([t.row_id for t in tasks]))
                    .values(ask_state=SENDING)
                )
        return tasks

    async def _any(self, query: Any) -> bool:
        """A read first: the sweep, every minute, usually finds nothing, and then takes no
        write lock for it."""
        async with self.db.read() as conn:
            return (await conn.execute(query.limit(1))).first() is not None

    async def settle_intros(self, outcomes: Mapping[int, str]) -> None:
        """{row id: dm | channel | failed | pending (to retry)}."""
        await self._settle(outcomes, "intro_state", SENDING)

    async def settle_questions(self, outcomes: Mapping[int, str | None]) -> None:
        """{row id: sent | failed | None (to retry)}."""
        await self._settle(outcomes, "ask_state", SENDING)

    async def _settle(self, outcomes: Mapping[int, str | None], name: str, was: str) -> None:
        by_state: dict[str | None, list[int]] = defaultdict(list)
        for row_id, state in outcomes.items():
            by_state[state].append(row_id)
        async with self.db.write() as conn:
            for state, ids in by_state.items():
                await conn.execute(
                    match_group_members.update()
                    .where(gm.id.in_(ids), match_group_members.c[name] == was)
                    .values({name: state})
                )

    async def group_members(self, group_ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
        query = (
            select(gm.group_id, gm.member_id)
            .where(gm.group_id.in_(list(dict.fromkeys(group_ids))))
            .order_by(gm.group_id, gm.member_id)
        )
        found: dict[int, list[int]] = defaultdict(list)
        async with self.db.read() as conn:
            for r in await conn.execute(query):
                found[r.group_id].append(r.member_id)
        return {k: tuple(v) for k, v in found.items()}

    async def recover_in_flight(self) -> int:
        """At start: sends a crash left in flight are queued again (the duplicate window)."""
        async with self.db.write() as conn:
            intros = await conn.execute(
                match_group_members.update()
                .where(gm.intro_state == SENDING)
                .values(intro_state=PENDING)
            )
            questions = await conn.execute(
                match_group_members.update().where(gm.ask_state == SENDING).values(ask_state=None)
            )
        return intros.rowcount + questions.rowcount

    async def pending_intros(self) -> int:
        query = select(func.count()).where(gm.intro_state.in_((PENDING, SENDING)))
        async with self.db.read() as conn:
            return int((await conn.execute(query)).scalar() or 0)


async def _claim(conn: AsyncConnection, query: Any, limit: int) -> list[Task]:
    """Called within the write transaction that moves the rows to `sending`."""
    # PostgreSQL: rows another process is claiming are skipped rather than waited for.
    # SQLite ignores FOR UPDATE: its writes are serialised (BEGIN IMMEDIATE) anyway.
    query = (
        query.order_by(gm.id).limit(limit).with_for_update(skip_locked=True, of=match_group_members)
    )
    return [_task(r) for r in await conn.execute(query)]

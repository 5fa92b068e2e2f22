"""What rounds still have to send: introductions, then "did you meet?" questions.

Each member of a round group has a row (`match_group_members`) whose states say what was sent:

    intro_state: pending -> sending -> dm | channel | failed   (or back to pending to retry)
    ask_state:   NULL -> sending -> sent | failed              (or back to NULL to retry)

A batch is claimed (moved to `sending`, with this process's lease) in one transaction before
it is sent — `FOR UPDATE SKIP LOCKED` on PostgreSQL, so processes take different rows — and
settled in one transaction after, so a send is never made twice by two live processes. A row
left `sending` by a process that died is taken over once its lease lapsed, *in doubt*: its
message carries the row's delivery key and the platform is checked for it before any resend.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, column, func, or_, select, table
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.identity import ChannelRef
from bot.leases import LeasedTable, Leases, lapsed
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
LEASED = LeasedTable("match", match_group_members, gm.id, gm.lease_owner, gm.lease_until)
_TASK_COLUMNS = (
    gm.id,
    gm.intro_state,
    gm.ask_state,
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
    in_doubt: bool  # taken over from a process that died while sending it

    @property
    def intro_key(self) -> str:
        return f"match-intro:{self.row_id}"

    @property
    def question_key(self) -> str:
        return f"match-ask:{self.row_id}"


def _task(r: Any, in_doubt: bool) -> Task:
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
        in_doubt,
    )


class DeliveryQueue:
    def __init__(self, db: Database, leases: Leases) -> None:
        self.db = db
        self.leases = leases
        leases.register(LEASED)

    async def claim_intros(self, now: datetime, platforms: Iterable[str], limit: int) -> list[Task]:
        waiting = or_(
            gm.intro_state == PENDING,
            and_(gm.intro_state == SENDING, lapsed(gm.lease_until, now)),
        )
        query = select(*_TASK_COLUMNS).select_from(_TASKS_FROM)
        query = query.where(waiting, m.platform.in_(list(platforms)))
        tasks = await self._claim(query, limit, now, "intro_state")
        return tasks

    async def claim_questions(
        self, now: datetime, platforms: Iterable[str], limit: int
    ) -> list[Task]:
        waiting = or_(
            gm.ask_state.is_(None),
            and_(gm.ask_state == SENDING, lapsed(gm.lease_until, now)),
        )
        query = (
            select(*_TASK_COLUMNS)
            .select_from(_TASKS_FROM.join(_profiles, _profiles.c.member_id == gm.member_id))
            .where(
                gm.ask_due_at <= now,
                waiting,
                gm.intro_state.in_(INTRODUCED),
                _profiles.c.opt_in.is_(True),
                m.platform.in_(list(platforms)),
            )
        )
        return await self._claim(query, limit, now, "ask_state")

    async def _claim(self, query: Any, limit: int, now: datetime, name: str) -> list[Task]:
        """Move up to `limit` rows to `sending` under this process's lease, in one
        transaction; rows already `sending` (their owner died) come back in doubt."""
        if not await self._any(query):
            return []
        # PostgreSQL: rows another process is claiming are skipped rather than waited for.
        # SQLite ignores FOR UPDATE: its writes are serialised (BEGIN IMMEDIATE) anyway.
        locked = query.order_by(gm.id).limit(limit)
        locked = locked.with_for_update(skip_locked=True, of=match_group_members)
        values: dict[str, Any] = {
            name: SENDING,
            "lease_owner": self.leases.owner,
            "lease_until": self.leases.until(now),
        }
        if name == "intro_state":
            values["attempts"] = gm.attempts + 1

        async def work(conn: AsyncConnection) -> list[Task]:
            rows = (await conn.execute(locked)).all()
            tasks = [_task(r, in_doubt=getattr(r, name) == SENDING) for r in rows]
            if tasks:
                await conn.execute(
                    match_group_members.update()
                    .where(gm.id.in_([t.row_id for t in tasks]))
                    .values(values)
                )
            return tasks

        tasks = await self.db.transact(work)
        self.leases.took_over("match", sum(t.in_doubt for t in tasks))
        return tasks

    async def _any(self, query: Any) -> bool:
        """A read first: the sweep, every minute, usually finds nothing, and then takes no
        write lock for it."""
        async with self.db.read() as conn:
            return (await conn.execute(query.limit(1))).first() is not None

    async def settle_intros(self, outcomes: Mapping[int, str]) -> None:
        """{row id: dm | channel | failed | pending (to retry)}."""
        await self._settle(outcomes, "intro_state")

    async def settle_questions(self, outcomes: Mapping[int, str | None]) -> None:
        """{row id: sent | failed | None (to retry)}."""
        await self._settle(outcomes, "ask_state")

    async def _settle(self, outcomes: Mapping[int, str | None], name: str) -> None:
        """Only rows still ours: one taken over meanwhile is its new owner's to settle."""
        by_state: dict[str | None, list[int]] = defaultdict(list)
        for row_id, state in outcomes.items():
            by_state[state].append(row_id)
        state_column = match_group_members.c[name]

        async def work(conn: AsyncConnection) -> None:
            for state, ids in by_state.items():
                await conn.execute(
                    match_group_members.update()
                    .where(gm.id.in_(ids), state_column == SENDING, self.leases.mine(LEASED))
                    .values({name: state, "lease_owner": None, "lease_until": None})
                )

        await self.db.transact(work)

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

    async def pending_intros(self) -> int:
        query = select(func.count()).where(gm.intro_state.in_((PENDING, SENDING)))
        async with self.db.read() as conn:
            return int((await conn.execute(query)).scalar() or 0)

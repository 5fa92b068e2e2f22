"""Who was introduced to whom, matching rounds and what people answered about them.

- `match_pairs`: the history `match` and rounds read to avoid repeats. One row per pair of
  people introduced (a trio gives three rows), from a `match` introduction or a round.
- `match_round_configs`: rounds enabled in a channel (schedule text, next run). At most one
  active per workspace, so nobody is paired twice in one round.
- `match_rounds`, `match_groups`, `match_group_members`: each round, its groups, and per member
  the state of the introduction and of the "did you meet?" question, and the answer
  (commands/match/store/delivery.py moves those states).

Tables are declared in commands/match/store/tables.py. Every column naming a person references
`members.id` ON DELETE CASCADE: erasing a member removes their pairs and their places in
groups. A group keeps its other members, so the statistics and the other people's answers
survive one person's erasure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.identity import Caller, ChannelRef
from bot.leases import Leases
from bot.storage.database import Database
from bot.storage.members import members
from bot.storage.schema import UTCDateTime
from commands.match.store.delivery import DeliveryQueue
from commands.match.store.pending import OpenGroup, open_groups
from commands.match.store.stats import RoundStats, member_history, round_stats
from commands.match.store.tables import (
    MATCH,
    ROUND,
    cfg,
    gm,
    grp,
    match_group_members,
    match_groups,
    match_pairs,
    match_round_configs,
    match_rounds,
    pairs,
    rnd,
)

_PARTNERS = select(pairs.member_a, pairs.member_b, pairs.met_at).where(
    or_(pairs.member_a == bindparam("b_member"), pairs.member_b == bindparam("b_member")),
    pairs.met_at > bindparam("b_since", type_=UTCDateTime()),
)


@dataclass(frozen=True, slots=True)
class RoundConfig:
    id: int
    channel: ChannelRef
    schedule: str
    active: bool
    next_run_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class GroupInfo:
    id: int
    scheduled_for: datetime
    members: tuple[tuple[int, str, str, str], ...]  # (member id, platform, workspace, user id)

    def member_for(self, caller: Caller) -> int | None:
        """The member a click comes from: same platform, user id and workspace. A click in a
        Discord DM comes from no server: it counts for the servers the caller is a member of."""
        places = {caller.workspace, *caller.home_workspaces}
        return next(
            (
                m
                for m, p, w, u in self.members
                if p == caller.platform and u == caller.user_id and w in places
            ),
            None,
        )


@dataclass(frozen=True, slots=True)
class NewGroup:
    members: tuple[int, ...]
    shared: tuple[str, ...]
    repeat: bool


def _config(row: Any) -> RoundConfig:
    return RoundConfig(
        row.id,
        ChannelRef(row.platform, row.workspace, row.channel_id),
        row.schedule,
        bool(row.active),
        row.next_run_at,
        row.created_at,
    )


class WorkspaceTaken(Exception):
    """Rounds already run in another channel of this workspace."""

    def __init__(self, channel: ChannelRef) -> None:
        super().__init__(str(channel))
        self.channel = channel


class MatchingRepo:
    def __init__(self, db: Database, leases: Leases) -> None:
        self.db = db
        self.delivery = DeliveryQueue(db, leases)

    async def open_groups(self, member_id: int, since: datetime) -> list[OpenGroup]:
        """The member's round groups since `since` they have not said whether they met."""
        return await open_groups(self.db, member_id, since)

    # --- history --------------------------------------------------------------------------

    async def partners_since(self, member_id: int, since: datetime) -> dict[int, datetime]:
        """Everyone `member_id` was introduced to after `since`, with the latest date."""
        found: dict[int, datetime] = {}
        async with self.db.read() as conn:
            for a, b, at in await conn.execute(
                _PARTNERS, {"b_member": member_id, "b_since": since}
            ):
                other = b if a == member_id else a
                found[other] = max(at, found.get(other, at))
        return found

    async def introductions_since(self, member_id: int, since: datetime) -> int:
        query = select(func.count()).where(
            or_(pairs.member_a == member_id, pairs.member_b == member_id),
            pairs.source == MATCH,
            pairs.met_at > since,
        )
        async with self.db.read() as conn:
            return int((await conn.execute(query)).scalar() or 0)

    async def record_introduction(self, a: int, b: int, now: datetime) -> None:
        low, high = sorted((a, b))
        async with self.db.write() as conn:
            await conn.execute(
                match_pairs.insert().values(member_a=low, member_b=high, source=MATCH, met_at=now)
            )

    async def pairs_since(self, since: datetime) -> list[tuple[int, int]]:
        query = select(pairs.member_a, pairs.member_b).where(pairs.met_at > since)
        async with self.db.read() as conn:
            return [(r.member_a, r.member_b) for r in await conn.execute(query)]

    # --- round configs --------------------------------------------------------------------

    async def config_for(self, channel: ChannelRef) -> RoundConfig | None:
        query = select(match_round_configs).where(*_ref(channel))
        async with self.db.read() as conn:
            row = (await conn.execute(query)).first()
        return _config(row) if row else None

    async def get_config(self, config_id: int) -> RoundConfig | None:
        query = select(match_round_configs).where(cfg.id == config_id)
        async with self.db.read() as conn:
            row = (await conn.execute(query)).first()
        return _config(row) if row else None

    async def active_configs(self) -> list[RoundConfig]:
        query = select(match_round_configs).where(cfg.active.is_(True)).order_by(cfg.id)
        async with self.db.read() as conn:
            return [_config(r) for r in await conn.execute(query)]

    async def enable(
        self, channel: ChannelRef, schedule: str, next_run_at: datetime, now: datetime
    ) -> RoundConfig:
        """Turn rounds on (or change their schedule) in `channel`; raises `WorkspaceTaken`."""
        async with self.db.write() as conn:
            other = (
                await conn.execute(
                    select(match_round_configs).where(
                        cfg.platform == channel.platform,
                        cfg.workspace == channel.workspace,
                        cfg.channel_id != channel.channel_id,
                        cfg.active.is_(True),
                    )
                )
            ).first()
            if other is not None:
                raise WorkspaceTaken(_config(other).channel)
            values = {"schedule": schedule, "active": True, "next_run_at": next_run_at}
            found = (await conn.execute(select(cfg.id).where(*_ref(channel)))).first()
            if found:
                await conn.execute(
                    match_round_configs.update().where(cfg.id == found.id).values(**values)
                )
            else:
                await conn.execute(
                    match_round_configs.insert().values(
                        platform=channel.platform,
                        workspace=channel.workspace,
                        channel_id=channel.channel_id,
                        created_at=now,
                        **values,
                    )
                )
        config = await self.config_for(channel)
        assert config is not None
        return config

    async def disable(self, channel: ChannelRef) -> RoundConfig | None:
        """Stop rounds in `channel` (their history and statistics stay)."""
        async with self.db.write() as conn:
            await conn.execute(
                match_round_configs.update()
                .where(*_ref(channel), cfg.active.is_(True))
                .values(active=False, next_run_at=None)
            )
        return await self.config_for(channel)

    async def advance(self, config_id: int, after: datetime, next_run_at: datetime) -> bool:
        """Move an active config's next run from `after` to `next_run_at` (skipping a run);
        False if it was not at `after` any more."""
        async with self.db.write() as conn:
            result = await conn.execute(
                match_round_configs.update()
                .where(cfg.id == config_id, cfg.active.is_(True), cfg.next_run_at == after)
                .values(next_run_at=next_run_at)
            )
        return result.rowcount == 1

    # --- rounds ---------------------------------------------------------------------------

    async def round_exists(self, config_id: int, scheduled_for: datetime) -> bool:
        query = select(rnd.id).where(rnd.config_id == config_id, rnd.scheduled_for == scheduled_for)
        async with self.db.read() as conn:
            return (await conn.execute(query)).first() is not None

    async def create_round(
        self,
        config: RoundConfig,
        scheduled_for: datetime,
        groups: Sequence[NewGroup],
        *,
        member_count: int,
        now: datetime,
        ask_at: datetime,
        next_run_at: datetime | None,
    ) -> int | None:
        """Persist a round, its groups and their pairs, and move the config to its next run,
        in one transaction. None if this round exists already (another process made it)."""
        async with self.db.write() as conn:
            exists = (
                await conn.execute(
                    select(rnd.id).where(
                        rnd.config_id == config.id, rnd.scheduled_for == scheduled_for
                    )
                )
            ).first()
            if exists:
                return None
            result = await conn.execute(
                match_rounds.insert().values(
                    config_id=config.id,
                    scheduled_for=scheduled_for,
                    ran_at=now,
                    member_count=member_count,
                )
            )
            round_id = result.inserted_primary_key[0]
            await _insert_groups(conn, round_id, groups, now, ask_at)
            if next_run_at is not None:
                await conn.execute(
                    match_round_configs.update()
                    .where(cfg.id == config.id, cfg.active.is_(True))
                    .values(next_run_at=next_run_at)
                )
        return round_id

    async def group_of(self, group_id: int) -> GroupInfo | None:
        """A group's round date and members (for answers)."""
        query = (
            select(
                rnd.scheduled_for,
                gm.member_id,
                members.c.platform,
                members.c.workspace,
                members.c.user_id,
            )
            .select_from(match_group_members.join(members).join(match_groups).join(match_rounds))
            .where(gm.group_id == group_id)
            .order_by(gm.member_id)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        if not rows:
            return None
        people = tuple((r.member_id, r.platform, r.workspace, r.user_id) for r in rows)
        return GroupInfo(group_id, rows[0].scheduled_for, people)

    async def answer(self, group_id: int, member_id: int, answer: str, now: datetime) -> bool:
        async with self.db.write() as conn:
            result = await conn.execute(
                match_group_members.update()
                .where(gm.group_id == group_id, gm.member_id == member_id)
                .values(answer=answer, answered_at=now)
            )
        return result.rowcount > 0

    async def stats(self, platform: str, workspace: str) -> RoundStats:
        async with self.db.read() as conn:
            return await round_stats(conn, platform, workspace)

    async def history_of(self, member_id: int) -> dict[str, list[dict[str, Any]]]:
        async with self.db.read() as conn:
            return await member_history(conn, member_id)


def _ref(channel: ChannelRef) -> tuple[Any, ...]:
    return (
        cfg.platform == channel.platform,
        cfg.workspace == channel.workspace,
        cfg.channel_id == channel.channel_id,
    )


async def _insert_groups(
    conn: AsyncConnection,
    round_id: int,
    groups: Sequence[NewGroup],
    now: datetime,
    ask_at: datetime,
) -> None:
    if not groups:
        return
    rows = [
        {"round_id": round_id, "shared": " ".join(g.shared)[:400], "repeat": g.repeat}
        | {"size": len(g.members)}
        for g in groups
    ]
    # RETURNING in parameter order gives each group its id in one round trip.
    inserted = await conn.execute(
        match_groups.insert().returning(grp.id, sort_by_parameter_order=True), rows
    )
    ids = [r.id for r in inserted]
    members = [
        {"group_id": gid, "member_id": member, "ask_due_at": ask_at}
        for gid, group in zip(ids, groups, strict=True)
        for member in group.members
    ]
    await conn.execute(match_group_members.insert(), members)
    met = [
        {"member_a": a, "member_b": b, "source": ROUND, "group_id": gid, "met_at": now}
        for gid, group in zip(ids, groups, strict=True)
        for a, b in _pairs_of(group.members)
    ]
    await conn.execute(match_pairs.insert(), met)


def _pairs_of(members: Iterable[int]) -> list[tuple[int, int]]:
    ordered = sorted(members)
    return [(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :]]

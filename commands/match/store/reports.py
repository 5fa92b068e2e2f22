"""Read-only figures on matching, for the dashboard: introductions and meetings reported over
a period, the channels where rounds run, and each round's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, func, select

from bot.identity import ChannelRef
from bot.storage.database import Database, id_set
from commands.match.store.matching import RoundConfig, _config
from commands.match.store.tables import (
    cfg,
    gm,
    grp,
    match_groups,
    match_round_configs,
    match_rounds,
    pairs,
    rnd,
)


@dataclass(frozen=True, slots=True)
class Introduction:
    member_a: int
    member_b: int
    source: str  # match (asked for by a member) or round


@dataclass(frozen=True, slots=True)
class RoundOutcome:
    id: int
    channel: ChannelRef
    scheduled_for: datetime
    members: int
    groups: int
    introduced: int  # members whose introduction was delivered (DM or channel)
    failed: int
    asked: int  # "did you meet?" questions delivered
    met: int  # groups where someone answered yes
    not_met: int  # groups whose answers are all no


class MatchReports:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def introductions(self, since: datetime, until: datetime) -> list[Introduction]:
        """Every introduction made in the period (thousands in a year: fetched as one string,
        "a b source" joined by commas, rather than one row each)."""
        one = cast(pairs.member_a, String) + " " + cast(pairs.member_b, String) + " " + pairs.source
        query = select(func.aggregate_strings(one, ",")).where(
            pairs.met_at >= since, pairs.met_at < until
        )
        async with self.db.read() as conn:
            text = (await conn.execute(query)).scalar()
        found = []
        for item in text.split(",") if text else ():
            a, b, source = item.split(" ")
            found.append(Introduction(int(a), int(b), source))
        return found

    async def meetings(self, since: datetime, until: datetime) -> list[tuple[int, int]]:
        """(group, member) of every "yes, we met" answered in the period."""
        query = select(gm.group_id, gm.member_id).where(
            gm.answer == "yes", gm.answered_at >= since, gm.answered_at < until
        )
        async with self.db.read() as conn:
            return [(r.group_id, r.member_id) for r in await conn.execute(query)]

    async def answering_members(self, since: datetime, until: datetime) -> set[int]:
        """Members who answered "did you meet?" in the period."""
        query = select(gm.member_id).where(gm.answered_at >= since, gm.answered_at < until)
        async with self.db.read() as conn:
            return await id_set(conn, query)

    async def configs(self) -> list[RoundConfig]:
        """Every channel where rounds were enabled, active ones first."""
        query = select(match_round_configs).order_by(cfg.active.desc(), cfg.id)
        async with self.db.read() as conn:
            return [_config(r) for r in await conn.execute(query)]

    async def rounds(self, limit: int = 20) -> list[RoundOutcome]:
        """The latest rounds, newest first, with what came of them."""
        per_group = (
            select(
                gm.group_id,
                func.count().filter(gm.intro_state.in_(("dm", "channel"))).label("introduced"),
                func.count().filter(gm.intro_state == "failed").label("failed"),
                func.count().filter(gm.ask_state == "sent").label("asked"),
                func.count().filter(gm.answer == "yes").label("yes"),
                func.count(gm.answer).label("answers"),
            )
            .group_by(gm.group_id)
            .subquery()
        )
        g = per_group.c
        query = (
            select(
                rnd.id,
                cfg.platform,
                cfg.workspace,
                cfg.channel_id,
                rnd.scheduled_for,
                rnd.member_count,
                func.count(grp.id).label("groups"),
                func.coalesce(func.sum(g.introduced), 0).label("introduced"),
                func.coalesce(func.sum(g.failed), 0).label("failed"),
                func.coalesce(func.sum(g.asked), 0).label("asked"),
                func.count(grp.id).filter(g.yes > 0).label("met"),
                func.count(grp.id).filter(g.answers > 0, g.yes == 0).label("not_met"),
            )
            .select_from(
                match_rounds.join(match_round_configs, cfg.id == rnd.config_id)
                .outerjoin(match_groups, grp.round_id == rnd.id)
                .outerjoin(per_group, g.group_id == grp.id)
            )
            .group_by(rnd.id, cfg.platform, cfg.workspace, cfg.channel_id)
            .order_by(rnd.scheduled_for.desc(), rnd.id.desc())
            .limit(limit)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            RoundOutcome(
                r.id,
                ChannelRef(r.platform, r.workspace, r.channel_id),
                r.scheduled_for,
                r.member_count,
                r.groups,
                int(r.introduced),
                int(r.failed),
                int(r.asked),
                r.met,
                r.not_met,
            )
            for r in rows
        ]

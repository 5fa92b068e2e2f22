"""Read-only views of the matching tables: round statistics for moderators, and one member's
whole matching history for `profile export`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.members import members
from commands.match.store.tables import (
    MATCH,
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


@dataclass(frozen=True, slots=True)
class RoundStats:
    rounds: int
    groups: int
    trios: int
    members_paired: int
    asked: int  # "did you meet?" questions delivered
    answered: int
    met: int  # groups where someone answered yes
    not_met: int  # groups with answers, all of them no
    introductions: int  # made with `match find` by members of this workspace


async def round_stats(conn: AsyncConnection, platform: str, workspace: str) -> RoundStats:
    here = and_(cfg.platform == platform, cfg.workspace == workspace)
    rounds_q = select(func.count()).select_from(match_rounds.join(match_round_configs))
    groups_from = match_groups.join(match_rounds).join(match_round_configs)
    groups_q = select(func.count(), func.coalesce(func.sum(grp.size), 0)).select_from(groups_from)
    trios_q = select(func.count()).select_from(groups_from).where(here, grp.size == 3)
    members_from = match_group_members.join(groups_from)
    answers_q = select(
        func.count(gm.ask_state).filter(gm.ask_state == "sent"),
        func.count(gm.answer),
        func.count(distinct(gm.group_id)).filter(gm.answer == "yes"),
        func.count(distinct(gm.group_id)).filter(gm.answer.is_not(None)),
    ).select_from(members_from)
    intros_q = (
        select(func.count())
        .select_from(match_pairs.join(members, members.c.id == pairs.member_a))
        .where(
            pairs.source == MATCH,
            members.c.platform == platform,
            members.c.workspace == workspace,
        )
    )
    rounds = (await conn.execute(rounds_q.where(here))).scalar() or 0
    groups, paired = (await conn.execute(groups_q.where(here))).one()
    trios = (await conn.execute(trios_q)).scalar() or 0
    asked, answered, met, groups_answered = (await conn.execute(answers_q.where(here))).one()
    introductions = (await conn.execute(intros_q)).scalar() or 0
    return RoundStats(
        rounds=rounds,
        groups=groups,
        trios=trios,
        members_paired=int(paired),
        asked=asked,
        answered=answered,
        met=met,
        not_met=groups_answered - met,
        introductions=introductions,
    )


async def member_history(conn: AsyncConnection, member_id: int) -> dict[str, list[dict[str, Any]]]:
    """Everything the matching tables hold about `member_id`, names of partners included
    (the member was introduced to them: they know them already)."""
    return {
        "introductions": await _introductions(conn, member_id),
        "rounds": await _rounds(conn, member_id),
    }


async def _introductions(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    other = members.alias("other")
    partner = or_(
        and_(pairs.member_a == member_id, other.c.id == pairs.member_b),
        and_(pairs.member_b == member_id, other.c.id == pairs.member_a),
    )
    query = (
        select(pairs.source, pairs.met_at, other.c.display_name)
        .select_from(match_pairs.join(other, partner))
        .order_by(pairs.met_at)
    )
    return [
        {"source": r.source, "at": r.met_at, "with": r.display_name}
        for r in await conn.execute(query)
    ]


async def _rounds(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    query = (
        select(
            gm.group_id,
            gm.intro_state,
            gm.ask_state,
            gm.answer,
            gm.answered_at,
            grp.shared,
            rnd.scheduled_for,
            cfg.platform,
            cfg.workspace,
            cfg.channel_id,
        )
        .select_from(
            match_group_members.join(match_groups).join(match_rounds).join(match_round_configs)
        )
        .where(gm.member_id == member_id)
        .order_by(rnd.scheduled_for)
    )
    rows = (await conn.execute(query)).all()
    partners = await _group_partners(conn, [r.group_id for r in rows], member_id)
    return [
        {
            "round": r.scheduled_for,
            "channel": f"{r.platform}:{r.workspace}:{r.channel_id}",
            "with": partners.get(r.group_id, []),
            "shared_interests": r.shared.split(),
            "introduction": r.intro_state,
            "asked_if_met": r.ask_state,
            "answer": r.answer,
            "answered_at": r.answered_at,
        }
        for r in rows
    ]


async def _group_partners(
    conn: AsyncConnection, group_ids: list[int], member_id: int
) -> dict[int, list[str]]:
    if not group_ids:
        return {}
    query = (
        select(gm.group_id, members.c.display_name)
        .select_from(match_group_members.join(members))
        .where(gm.group_id.in_(group_ids), gm.member_id != member_id)
        .order_by(gm.group_id, members.c.display_name)
    )
    found: dict[int, list[str]] = {}
    for r in await conn.execute(query):
        found.setdefault(r.group_id, []).append(r.display_name)
    return found

"""What is still open for a member in the rounds: their recent groups nobody in which they
answered "did you meet?" for yet (their home shows them, with the question when it was asked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from bot.storage.database import Database
from bot.storage.members import members
from commands.match.store.delivery import INTRODUCED, SENT
from commands.match.store.tables import gm, match_group_members, match_groups, match_rounds, rnd

_other = aliased(match_group_members)
_people = aliased(members)


@dataclass(frozen=True, slots=True)
class OpenGroup:
    group_id: int
    scheduled_for: datetime
    introduced: bool  # the introduction reached the member (DM or the round's channel)
    asked: bool  # "did you meet?" was sent to the member
    partners: tuple[str, ...]  # the others' display names


async def open_groups(
    db: Database, member_id: int, since: datetime, limit: int = 3
) -> list[OpenGroup]:
    """The member's groups of rounds since `since` they have not answered, newest first."""
    mine = (
        select(gm.group_id, gm.intro_state, gm.ask_state, rnd.scheduled_for)
        .select_from(match_group_members.join(match_groups).join(match_rounds))
        .where(gm.member_id == member_id, gm.answer.is_(None), rnd.scheduled_for >= since)
        .order_by(rnd.scheduled_for.desc(), gm.group_id)
        .limit(limit)
    )
    async with db.read() as conn:
        rows = (await conn.execute(mine)).all()
        found: list[OpenGroup] = []
        for row in rows:
            names = (
                await conn.execute(
                    select(_people.c.display_name, _people.c.user_id)
                    .select_from(_other.join(_people, _people.c.id == _other.c.member_id))
                    .where(_other.c.group_id == row.group_id, _other.c.member_id != member_id)
                    .order_by(_other.c.member_id)
                )
            ).all()
            found.append(
                OpenGroup(
                    row.group_id,
                    row.scheduled_for,
                    row.intro_state in INTRODUCED,
                    row.ask_state == SENT,
                    tuple(n.display_name or n.user_id for n in names),
                )
            )
    return found

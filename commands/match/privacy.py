"""The matching section of `profile export`: introductions, rounds, answers."""

from __future__ import annotations

from typing import Any

from bot.privacy import register_exporter
from bot.services import Services
from commands.match.store.matching import MatchingRepo


async def export_matching(services: Services, member_id: int) -> dict[str, Any]:
    return await services.get(MatchingRepo).history_of(member_id)


register_exporter("match", export_matching, tables=("match_pairs", "match_group_members"))

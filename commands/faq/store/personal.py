"""What the FAQ's tables hold about one member, for their data export (commands/faq/privacy.py
says what is exported and how erasure reaches each table)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from commands.faq.store.activity import FaqActivity
from commands.faq.store.tables import (
    faq_asks,
    faq_entries,
    faq_feedback,
    faq_passive_channels,
    faq_unanswered,
    faq_unanswered_askers,
)

A, U, F, P = faq_asks.c, faq_unanswered.c, faq_feedback.c, faq_passive_channels.c
E, ASKERS = faq_entries.c, faq_unanswered_askers.c

_ASKED = (
    select(U.text, U.first_asked_at, U.channel)
    .join(faq_unanswered_askers, ASKERS.question_id == U.id)
    .order_by(U.id)
)


async def member_data(activity: FaqActivity, member_id: int) -> dict[str, list[dict[str, Any]]]:
    await activity.asks.flush()  # the member's latest asks are in the table first
    async with activity.db.read() as conn:
        queries = {
            "questions_asked": select(A.text, A.asked_at, A.verdict)
            .where(A.member_id == member_id)
            .order_by(A.id),
            "unanswered_questions": _ASKED.where(ASKERS.member_id == member_id),
            "feedback": select(F.entry_id, F.helpful, F.given_at).where(F.member_id == member_id),
            "entries_written": select(E.id, E.question, E.created_at)
            .where(E.created_by == member_id)
            .order_by(E.id),
            "passive_mode_switched": select(P.channel, P.enabled, P.updated_at).where(
                P.updated_by == member_id
            ),
        }
        found = {
            name: [dict(r._mapping) for r in await conn.execute(query)]
            for name, query in queries.items()
        }
    return {**found, "phrasings_backed": await activity.phrasings.of_member(member_id)}

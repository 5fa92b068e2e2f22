"""The FAQ's section of a member's data export (GDPR): questions they asked that the FAQ could
not answer, the feedback they gave, the phrasings they backed, the entries they wrote and the
channels where they switched passive mode.

Nothing to erase by hand: questions, feedback and backings reference `members.id` ON DELETE CASCADE;
entries and passive switches keep their content and lose the author (SET NULL). A `faq ask`
row of the ask log keeps the question and its asker (CASCADE); passive-mode answers are counted
there without anyone's name.
"""

from __future__ import annotations

from typing import Any

from bot.privacy import register_exporter
from bot.services import Services
from commands.faq.store.entries import FaqRepo
from commands.faq.store.personal import member_data


async def export_faq(services: Services, member_id: int) -> dict[str, Any]:
    return await member_data(services.get(FaqRepo).activity, member_id)


register_exporter(
    "faq",
    export_faq,
    tables=(
        "faq_asks",
        "faq_unanswered",
        "faq_unanswered_askers",
        "faq_feedback",
        "faq_phrasing_votes",
        "faq_entries",
        "faq_passive_channels",
    ),
)

"""Closing the loop of "I don't know": when a FAQ editor answers an unanswered question (a new
entry, or a variant of an entry, typed or accepted from a member's phrasing), the people who
asked it get the answer by direct message.

The bot told them a moderator would see their question; without this they would have to ask
again to find out. Each asker gets the entry in their own language (its translation when it
has one), with the usual "was this helpful?" buttons, and the question they asked with its
date, so the message explains itself days later.

Sent while the editor's command runs, like an event's change notices (commands/events/notify):
a failed send is logged and counted in the editor's reply, never fatal. The editor who answers
is not told their own answer, nor are the members whose click proposed the accepted phrasing
(they picked that answer already).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot.errors import SendError
from bot.i18n import Translator, normalise_lang, translator
from bot.identity import Caller
from bot.outbound import delivery_key
from bot.services import Services
from commands.faq.answers import answer_message, clip
from commands.faq.retrieval import FaqDoc
from commands.faq.store.activity import Unanswered

log = logging.getLogger(__name__)

QUESTION_QUOTED = 200  # characters of the asker's question quoted back to them


@dataclass(frozen=True, slots=True)
class Told:
    sent: int = 0
    failed: int = 0


async def tell_askers(
    services: Services, question: Unanswered, doc: FaqDoc, askers: list[int], editor: Caller
) -> Told:
    """Send `doc` to each member in `askers` but the `editor`, each in their language."""
    sent = failed = 0
    for member_id in askers:
        member = await services.members.get(member_id)
        if member is None or (member.platform, member.user_id) == (
            editor.platform,
            editor.user_id,
        ):
            continue
        lang = normalise_lang(member.locale)
        t = translator(lang, services.config.bot.timezone)
        answer = answer_message(doc, lang, t)
        intro = t(
            "faq.answered.intro",
            question=clip(" ".join(question.text.split()), QUESTION_QUOTED),
            date=t.date(question.first_asked_at, "long"),
        )
        message = replace(answer, text=f"{intro}\n\n{answer.text}")
        key = delivery_key(f"faq-answered:{question.id}:{member.id}")
        try:
            await services.outbound.send_dm(
                member.platform, member.workspace, member.user_id, message, key=key
            )
            sent += 1
        except SendError as err:
            failed += 1
            log.warning(
                "faq question %s: answer to member %s failed: %s",
                question.id,
                member.id,
                err.reason,
            )
    return Told(sent, failed)


def told_lines(told: Told, t: Translator) -> list[str]:
    """What the editor's reply says of it: who was told, and how many messages failed."""
    lines = [t.plural("faq.promote.told", told.sent)] if told.sent else []
    if told.failed:
        lines.append(t.plural("faq.promote.told_failed", told.failed))
    return lines

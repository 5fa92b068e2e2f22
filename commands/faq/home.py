"""The FAQ's part of a member's home (bot/home.py): the questions they asked that still wait
for an answer; for moderators and FAQ editors, how many questions wait in all."""

from __future__ import annotations

from bot.home import HomeContext
from bot.messages import Button, Field, Message
from bot.spec import Role
from commands.faq.store.entries import FaqRepo

QUESTION_SHOWN = 200  # characters of a question


async def questions_home(ctx: HomeContext) -> list[Message]:
    """The member's own questions (nothing when none wait)."""
    if ctx.member is None:
        return []
    waiting = await ctx.services.get(FaqRepo).activity.waiting_for(ctx.member.id)
    if not waiting:
        return []
    t = ctx.t
    fields = tuple(
        Field(
            t("faq.home.asked_on", date=t.date(q.first_asked_at, "long")),
            _short(q.text),
            inline=False,
        )
        for q in waiting
    )
    return [Message(title=t("faq.home.title"), fields=fields, footer=t("faq.home.footer"))]


async def queue_home(ctx: HomeContext) -> list[Message]:
    """Moderators and FAQ editors: the size of the unanswered queue."""
    access = ctx.access
    if not (access.is_moderator or access.may(Role.FAQ_EDITOR)):
        return []
    t = ctx.t
    count = await ctx.services.get(FaqRepo).activity.unanswered_count()
    buttons = ()
    if access.may(Role.FAQ_EDITOR) and count:
        buttons = (Button(t("faq.home.queue_button"), "faq.unanswered"),)
    text = t.plural("faq.home.queue", count)
    return [Message(title=t("faq.home.queue_title"), text=text, buttons=buttons)]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUESTION_SHOWN else text[: QUESTION_SHOWN - 1] + "…"
